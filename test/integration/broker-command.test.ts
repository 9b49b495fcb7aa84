import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, startBroker } from "../helpers/broker-harness.ts";
import { freePortRange } from "../helpers/port-range.ts";

/** The `streamnest broker` command: flags, a taken port, signals. */
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

test("a port in use is an error naming the port, exit 1", async () => {
  const started = await startBroker();
  stop = started.stop;
  const dir = mkdtempSync(join(tmpdir(), "streamnest-cmd-"));
  try {
    const result = await runCli(["broker", "--id=2", `--port=${started.broker.port}`, `--data-dir=${dir}`]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`port ${started.broker.port}`);
    expect(result.stdout).not.toContain("running on");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The first broker is untouched.
  expect((await fetch(`${started.broker.url}/health`)).status).toBe(200);
});

test("a data dir in use by another broker is an error, exit 1", async () => {
  const started = await startBroker();
  stop = started.stop;
  const result = await runCli(["broker", "--id=1", `--port=${started.broker.port}`, `--data-dir=${started.broker.dataDir}`]);
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toContain("in use by another broker");
  expect((await fetch(`${started.broker.url}/health`)).status).toBe(200);
});

test("a data dir that cannot be a folder is one line naming it and why, exit 1", async () => {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-cmd-"));
  try {
    const file = join(dir, "file");
    writeFileSync(file, "not a folder");
    for (const [dataDir, reason] of [
      [file, "it is a file, not a folder"],
      [join(file, "sub", "deeper"), `${file} is a file, not a folder`],
    ]) {
      const result = await runCli(["broker", "--id=1", `--port=${freePortRange(1)}`, `--data-dir=${dataDir}`]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe(`Error: cannot use data dir ${dataDir}: ${reason}\n`);
      expect(result.stdout).toBe("");
    }
    // nothing was made beside the file
    expect(readdirSync(dir)).toEqual(["file"]);
    expect(readFileSync(file, "utf8")).toBe("not a folder");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad flags are errors naming the flag, exit 1", async () => {
  for (const [args, mention] of [
    [["broker", "--port=1"], "--id"],
    [["broker", "--id=x"], "--id"],
    [["broker", "--id=1", "--port=70000"], "--port"],
    [["broker", "--id=1", "--fsync=sometimes"], "--fsync"],
    [["broker", "--id=1", "--max-message-bytes=lots"], "--max-message-bytes"],
    [["broker", "--id=1", "--peers=nohostport"], "--peers"],
  ] as [string[], string][]) {
    const result = await runCli(args);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(mention);
  }
});

test("SIGINT stops the broker cleanly with exit 0", async () => {
  const started = await startBroker();
  stop = started.stop;
  const { broker } = started;
  await fetch(`${broker.url}/create-topic`, { method: "POST", body: JSON.stringify({ topic: "t", partitions: 1 }) });
  // An open stream and a parked long poll must not keep the broker from stopping.
  const stream = await fetch(`${broker.url}/topics/t/partitions/0/records/stream`);
  expect(stream.status).toBe(200);
  void fetch(`${broker.url}/topics/t/partitions/0/records?offset=0&timeout_ms=60000`).catch(() => undefined);
  broker.proc?.kill("SIGINT");
  expect(await broker.proc?.exited).toBe(0);
});
