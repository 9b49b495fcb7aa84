import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, startBroker } from "../helpers/broker-harness.ts";
import { get, post } from "../helpers/cluster-http.ts";
import { freePortRange } from "../helpers/port-range.ts";

/**
 * `streamnest broker` given what a user may get wrong: another broker's data dir, flags
 * of one broker mixed with --count, a closed terminal. Each is one line and exit 1 (or
 * a clean stop), and nothing is started or changed.
 */

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-misuse-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a data dir keeps the id of the broker that first ran on it: another id is refused and changes nothing", async () => {
  const started = await startBroker();
  cleanups.push(started.stop);
  const { broker } = started;
  expect((await post(broker, "/create-topic", { topic: "mine", partitions: 1 })).status).toBe(200);
  expect((await post(broker, "/produce", { topic: "mine", message: "kept", partition: 0 })).status).toBe(200);
  await broker.stop();
  const before = readdirSync(broker.dataDir).sort();

  const result = await runCli(["broker", "--id=2", `--port=${broker.port}`, "--host=127.0.0.1", `--data-dir=${broker.dataDir}`]);
  expect(result).toEqual({
    exitCode: 1,
    stdout: "",
    stderr: `Error: data dir ${broker.dataDir} holds the data of broker 1, not broker 2: start broker 1 with it (--id=1), or give broker 2 its own --data-dir\n`,
  });
  expect(readdirSync(broker.dataDir).sort()).toEqual(before);

  // Its own broker still starts on it and serves what it had.
  await broker.start();
  expect(await get(broker, "/consume?topic=mine&partition=0&offset=0")).toEqual({ status: 200, body: { offset: 0, message: "kept" } });
});

test("--count decides each broker's id, port and peers itself, so those flags beside it are refused", async () => {
  const base = freePortRange(2);
  const dataDir = join(tempDir(), "cluster");
  for (const flags of [["--id=2"], ["--port=9999"], ["--peers=localhost:9999"], ["--advertise=somehost:1"], ["--id=1", "--advertise=h:1"]]) {
    const result = await runCli(["broker", "--count=2", `--base-port=${base}`, `--data-dir=${dataDir}`, ...flags]);
    const named = flags.map((f) => f.replace(/=.*/, "")).join(", ");
    expect(result).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: `Error: --count starts brokers 1..N on ports from --base-port, each told the others as peers, so it takes no ${named} (those run one broker: --id --port --peers)\n`,
    });
  }
  const alone = await runCli(["broker", "--id=1", `--base-port=${base}`, `--data-dir=${dataDir}`]);
  expect(alone).toEqual({
    exitCode: 1,
    stdout: "",
    stderr: "Error: --base-port goes with --count (a local cluster); one broker takes --port\n",
  });
  expect(existsSync(dataDir)).toBe(false);
});

test("--count checks the brokers' flags and the data dir once, before starting any broker", async () => {
  const base = freePortRange(2);
  const dir = tempDir();
  const bad = await runCli(["broker", "--count=2", `--base-port=${base}`, `--data-dir=${join(dir, "c")}`, "--fsync=sometimes"]);
  expect(bad).toEqual({ exitCode: 1, stdout: "", stderr: 'Error: --fsync must be always, interval or never, not "sometimes"\n' });
  expect(existsSync(join(dir, "c"))).toBe(false);

  const file = join(dir, "file");
  writeFileSync(file, "x");
  const blocked = await runCli(["broker", "--count=2", `--base-port=${base}`, `--data-dir=${file}`]);
  expect(blocked).toEqual({ exitCode: 1, stdout: "", stderr: `Error: cannot use data dir ${file}: it is a file, not a folder\n` });
});

test("a --host that is no address of this machine is one line naming it", async () => {
  const port = freePortRange(1);
  const dataDir = join(tempDir(), "b");
  const result = await runCli(["broker", "--id=1", `--port=${port}`, "--host=999.1.1.1", `--data-dir=${dataDir}`]);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(new RegExp(`^Error: cannot listen on 999\\.1\\.1\\.1 port ${port}: [^\\n]+\\n$`));
  expect(existsSync(join(dataDir, "broker.lock"))).toBe(false);
});

test("SIGHUP (its terminal closed) stops a broker as cleanly as Ctrl-C: exit 0, data dir unlocked", async () => {
  const started = await startBroker();
  cleanups.push(started.stop);
  const { broker } = started;
  expect(existsSync(join(broker.dataDir, "broker.lock"))).toBe(true);
  broker.proc?.kill("SIGHUP");
  expect(await broker.proc?.exited).toBe(0);
  expect(existsSync(join(broker.dataDir, "broker.lock"))).toBe(false);
});

test("--metadata-quorum is gone (the metadata is always the Raft quorum): given, it is an unknown option and nothing starts", async () => {
  const dataDir = join(tempDir(), "b");
  for (const mode of ["raft", "controller"]) {
    const result = await runCli(["broker", `--metadata-quorum=${mode}`, "--id=1", "--port=0", "--host=127.0.0.1", `--data-dir=${dataDir}`]);
    expect(result).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: "[error] unknown option --metadata-quorum for streamnest broker (see streamnest broker --help)\n",
    });
  }
  expect(existsSync(dataDir)).toBe(false);
});
