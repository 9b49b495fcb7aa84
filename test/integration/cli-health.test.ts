import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { runCli, startBroker, type BrokerProcess } from "../helpers/broker-harness.ts";

// Real broker processes on a shared 2-core machine: bun's 5 s default is too tight.
setDefaultTimeout(60_000);

let broker: BrokerProcess;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ broker, stop } = await startBroker());
});

afterAll(async () => {
  await stop();
});

function portOf(address: string): string {
  return address.slice(address.lastIndexOf(":") + 1);
}

describe("streamnest health: the container's health check", () => {
  test("a broker that answers: one line on stdout, exit 0", async () => {
    const { exitCode, stdout, stderr } = await runCli(["health", `--url=${broker.address}`]);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect(stdout).toMatch(new RegExp(`^ok: broker 1 \\(${broker.address.replace(/\./g, "\\.")}\\), metadata version \\d+, 0 topics\\n$`));
  });

  test("without --url it asks 127.0.0.1 on the port $STREAMNEST_PORT gives, as the broker beside it would listen", async () => {
    const { exitCode, stdout } = await runCli(["health"], { env: { STREAMNEST_PORT: portOf(broker.address) } });
    expect(exitCode).toBe(0);
    expect(stdout).toStartWith("ok: broker 1 (");
  });

  test("no broker there: one line on stderr, exit 1", async () => {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    const { exitCode, stdout, stderr } = await runCli(["health"], { env: { STREAMNEST_PORT: String(port) } });
    expect({ exitCode, stdout, stderr }).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: `[error] cannot reach the broker at 127.0.0.1:${port} (connection refused)\n`,
    });
  });

  test("a listener that never answers fails the check within its timeout instead of hanging it", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const started = performance.now();
      const { exitCode, stdout, stderr } = await runCli(["health", `--url=127.0.0.1:${silent.port}`], { timeoutMs: 20_000 });
      expect({ exitCode, stdout }).toEqual({ exitCode: 1, stdout: "" });
      expect(stderr).toStartWith("[error] ");
      expect(stderr.trimEnd().split("\n")).toHaveLength(1);
      // runCli kills a hung process at 20 s; the check's own 3 s limit must end it first.
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      silent.stop(true);
    }
  });
});
