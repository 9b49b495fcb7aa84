import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/broker-harness.ts";
import { run } from "../helpers/external-client.ts";
import { LauncherProcess, processAlive } from "../helpers/launcher-process.ts";
import { freePortRange } from "../helpers/port-range.ts";
import { makeTestCa } from "../helpers/tls-certs.ts";
import { until } from "../helpers/until.ts";

/**
 * `streamnest broker --count=N` with TLS: every broker gets the TLS flags, the summary
 * names https:// addresses, the brokers form their quorum over HTTPS with client
 * certificates required, SIGHUP to the launcher makes every broker reload its
 * certificate (and stops nothing), and a bad certificate is one line before any broker
 * starts.
 */

const certs = makeTestCa();
const dirs: string[] = [];
afterAll(() => {
  certs.remove();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-tls-launcher-"));
  dirs.push(dir);
  return dir;
}

test("a TLS cluster of 2: https:// in the summary, mutual TLS between brokers, SIGHUP reloads every broker's certificate", async () => {
  const broker = certs.issue("launched");
  const client = certs.issue("launcher-test-client");
  const base = freePortRange(2);
  const kafkaBase = freePortRange(2);
  const launcher = LauncherProcess.start([
    "--count=2",
    `--base-port=${base}`,
    `--kafka-base-port=${kafkaBase}`,
    "--host=127.0.0.1",
    `--data-dir=${tempDir()}`,
    `--tls-cert=${broker.cert}`,
    `--tls-key=${broker.key}`,
    `--tls-ca=${certs.ca}`,
  ]);
  try {
    const pids = await launcher.waitUp(2);
    expect([...pids.keys()].sort()).toEqual([1, 2]);
    expect(launcher.output).toContain(`  broker 1  https://127.0.0.1:${base}  pid ${pids.get(1)}\n`);
    expect(launcher.output).toContain(`  broker 2  https://127.0.0.1:${base + 1}  pid ${pids.get(2)}\n`);
    // The Kafka line follows the brokers' lines of the summary.
    await launcher.waitFor(`Kafka (TLS): broker 1 127.0.0.1:${kafkaBase}, broker 2 127.0.0.1:${kafkaBase + 1}`, 10_000);
    // Each broker counts the other alive once a heartbeat over mutual TLS went through,
    // which may be a moment after both are up.
    const clusterView = async (): Promise<Array<[number | null, boolean]>> => {
      const answer = await run([
        "curl", "-sS", "--max-time", "10", "--cacert", certs.ca, "--cert", client.cert, "--key", client.key, `https://localhost:${base + 1}/cluster`,
      ]);
      expect(answer.exitCode).toBe(0);
      return (JSON.parse(answer.stdout) as { brokers: Array<{ id: number | null; alive: boolean }> }).brokers.map((b) => [b.id, b.alive]);
    };
    const view = await until("broker 2 seeing both brokers alive over mutual TLS", clusterView, (v) => JSON.stringify(v) === "[[1,true],[2,true]]", 30_000);
    expect(view).toEqual([[1, true], [2, true]]);

    const seen = launcher.output.length;
    launcher.kill("SIGHUP");
    await launcher.waitFor("SIGHUP received: the 2 brokers reload their TLS certificates", 10_000, seen);
    await launcher.waitFor(/\[broker 1\] TLS: SIGHUP: reloaded certificate CN=launched/, 10_000, seen);
    await launcher.waitFor(/\[broker 2\] TLS: SIGHUP: reloaded certificate CN=launched/, 10_000, seen);
    expect(launcher.proc.exitCode).toBeNull();
    expect(processAlive(pids.get(1) ?? 0) && processAlive(pids.get(2) ?? 0)).toBe(true);
    launcher.kill("SIGTERM");
    expect(await launcher.exited).toBe(0);
  } finally {
    if (launcher.proc.exitCode === null) {
      launcher.kill("SIGKILL");
      await launcher.exited;
    }
  }
}, 90_000);

test("a launcher given a key that is not its certificate's starts no broker: one line, exit 1", async () => {
  const a = certs.issue("a");
  const b = certs.issue("b");
  const base = freePortRange(2);
  const result = await runCli([
    "broker", "--count=2", `--base-port=${base}`, "--host=127.0.0.1", `--data-dir=${tempDir()}`, `--tls-cert=${a.cert}`, `--tls-key=${b.key}`,
  ]);
  expect(result).toEqual({ exitCode: 1, stdout: "", stderr: `Error: --tls-key ${b.key} is not the private key of --tls-cert ${a.cert}\n` });
});
