import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { StreamNestClient, type TopicDescription } from "../../src/client/index.ts";
import { runCli, startBroker, type BrokerProcess } from "../helpers/broker-harness.ts";
import { freePort } from "../helpers/ports.ts";

// Real broker processes on a shared 2-core machine: bun's 5 s default is too tight.
setDefaultTimeout(60_000);

let broker: BrokerProcess;
let stop: () => Promise<void>;
let client: StreamNestClient;
let meta: string;

beforeAll(async () => {
  ({ broker, stop } = await startBroker());
  client = new StreamNestClient(broker.address);
  meta = `--meta=${broker.address}`;
});

afterAll(async () => {
  await stop();
});

describe("streamnest topics", () => {
  test("create, list, describe and delete", async () => {
    const created = await runCli(["topics", "create", "alpha", "--partitions=3", meta]);
    expect(created.stderr).toBe("[success] created topic alpha with 3 partitions\n");
    expect(created.exitCode).toBe(0);
    const again = await runCli(["topics", "create", "alpha", "--partitions=3", meta]);
    expect(again.stderr).toBe("[success] topic alpha already exists with 3 partitions\n");
    expect(again.exitCode).toBe(0);
    expect((await runCli(["topics", "create", "beta", meta])).exitCode).toBe(0);

    const list = await runCli(["topics", "list", meta]);
    expect(list.stdout).toBe("alpha\nbeta\n");
    expect(list.exitCode).toBe(0);
    expect((await runCli(["topics", "list", meta, "--format=json"])).stdout).toBe('["alpha","beta"]\n');

    await client.produceBatch("alpha", [{ message: "one", partition: 2 }, { message: "two", partition: 2 }]);
    const described = await runCli(["topics", "describe", "alpha", meta]);
    expect(described.exitCode).toBe(0);
    const [title, settings, header, ...rows] = described.stdout.trimEnd().split("\n");
    expect(title).toBe("Topic: alpha  Partitions: 3  Schema: none");
    expect(settings).toBe("retention.ms=keep (default)  retention.bytes=keep (default)");
    expect(header.split(/\s+/)).toEqual(["PARTITION", "LEADER", "START", "END", "MESSAGES", "BYTES"]);
    expect(rows.map((row) => row.split(/\s+/).slice(0, 5))).toEqual([
      ["0", broker.address, "0", "0", "0"],
      ["1", broker.address, "0", "0", "0"],
      ["2", broker.address, "0", "2", "2"],
    ]);
    const json = await runCli(["topics", "describe", "alpha", meta, "--format=json"]);
    const description = JSON.parse(json.stdout) as TopicDescription;
    expect(description.partitions.map((p) => p.end_offset)).toEqual([0, 0, 2]);

    const altered = await runCli(["topics", "alter", "alpha", meta, "--retention-ms=3600000"]);
    expect([altered.exitCode, altered.stderr]).toEqual([0, "[success] topic alpha: retention.ms=3600000 (topic)  retention.bytes=keep (default)\n"]);
    const reset = await runCli(["topics", "alter", "alpha", meta, "--retention-ms=default", "--retention-bytes=1048576"]);
    expect([reset.exitCode, reset.stderr]).toEqual([0, "[success] topic alpha: retention.ms=keep (default)  retention.bytes=1048576 (topic)\n"]);
    const bad = await runCli(["topics", "alter", "alpha", meta, "--retention-ms=-1"]);
    expect([bad.exitCode, bad.stderr]).toEqual([1, '[error] --retention-ms must be a whole number (0 or more), not "-1"\n']);
    // Sizes take the units the broker's own --retention-bytes takes.
    const units = await runCli(["topics", "alter", "alpha", meta, "--retention-bytes=5MiB"]);
    expect([units.exitCode, units.stderr]).toEqual([0, "[success] topic alpha: retention.ms=keep (default)  retention.bytes=5242880 (topic)\n"]);
    const badSize = await runCli(["topics", "alter", "alpha", meta, "--retention-bytes=5 parsecs"]);
    expect([badSize.exitCode, badSize.stderr]).toEqual([1, '[error] --retention-bytes must be a size in bytes of at least 0 (e.g. 1048576 or 1MiB), not "5 parsecs"\n']);

    const deleted = await runCli(["topics", "delete", "alpha", meta]);
    expect(deleted.stderr).toBe("[success] deleted topic alpha\n");
    expect(deleted.exitCode).toBe(0);
    expect(await client.listTopics()).toEqual(["beta"]);
  });

  test("errors are one clear line and exit 1", async () => {
    const port = await freePort();
    const conflict = await client.createTopic("beta", 2).then(
      () => "created?",
      (error: Error) => error.message,
    );
    expect(conflict).toStartWith('topic "beta" already exists');
    const cases: Array<[string[], string]> = [
      [["describe", "ghost", meta], `[error] topic "ghost" does not exist; topics there are: beta\n`],
      [["delete", "ghost", meta], `[error] topic "ghost" does not exist; topics there are: beta\n`],
      [["create", "gamma", "--partitions=0", meta], '[error] --partitions must be a whole number of at least 1, not "0"\n'],
      // The broker's own reason, passed on as it gave it.
      [["create", "beta", "--partitions=2", meta], `[error] ${conflict}\n`],
      [["list", `--meta=localhost:${port}`], `[error] cannot reach the broker at localhost:${port} (connection refused)\n`],
    ];
    for (const [args, expected] of cases) {
      const { exitCode, stderr } = await runCli(["topics", ...args]);
      expect(stderr).toBe(expected);
      expect(exitCode).toBe(1);
    }
  });

  test("alter adds partitions; fewer or the same count is one clear line and exit 1", async () => {
    await runCli(["topics", "create", "growing", "--partitions=2", meta]);
    const grown = await runCli(["topics", "alter", "growing", "--partitions=5", meta]);
    expect(grown.stderr).toBe("[success] topic growing now has 5 partitions (had 2)\n");
    expect(grown.exitCode).toBe(0);
    expect((await client.describeTopic("growing")).partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4]);
    const shrink = await runCli(["topics", "alter", "growing", "--partitions=3", meta]);
    expect(shrink.stderr).toBe('[error] topic "growing" has 5 partitions, more than the 3 asked; partitions can be added, never removed\n');
    expect(shrink.exitCode).toBe(1);
    const missing = await runCli(["topics", "alter", "nope", "--partitions=3", meta]);
    expect(missing.stderr).toStartWith('[error] topic "nope" does not exist');
    expect(missing.exitCode).toBe(1);
  });
});

describe("where the cluster is", () => {
  test("--meta may come from STREAMNEST_META; the flag wins over it", async () => {
    const closed = `localhost:${await freePort()}`;
    const listed = (await client.listTopics()).sort().map((t) => `${t}\n`).join("");
    expect(await runCli(["topics", "list"], { env: { STREAMNEST_META: broker.address } })).toEqual({ exitCode: 0, stdout: listed, stderr: "" });
    expect(await runCli(["topics", "list", meta], { env: { STREAMNEST_META: closed } })).toEqual({ exitCode: 0, stdout: listed, stderr: "" });
    expect(await runCli(["topics", "list"], { env: { STREAMNEST_META: closed } })).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: `[error] cannot reach the broker at ${closed} (connection refused)\n`,
    });
  });
});
