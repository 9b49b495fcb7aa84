import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerProcess, runCli, startBroker } from "../helpers/broker-harness.ts";

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
    const result = await runCli(["broker", "--id=2", `--port=${started.broker.port}`, "--host=127.0.0.1", `--data-dir=${dir}`]);
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
  const result = await runCli(["broker", "--id=1", `--port=${started.broker.port}`, "--host=127.0.0.1", `--data-dir=${started.broker.dataDir}`]);
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
      const result = await runCli(["broker", "--id=1", "--port=0", "--host=127.0.0.1", `--data-dir=${dataDir}`]);
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

test("--port=0: the broker binds a port it picks, names it on its first line and in --port-file, and advertises it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-cmd-"));
  const portFile = join(dir, "port");
  const broker = new BrokerProcess(1, 0, join(dir, "data"), [], { args: [`--port-file=${portFile}`] });
  stop = async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  expect(broker.args).toContain("--port=0");
  await broker.start();
  expect(broker.output.split("\n")[0]).toBe(`Broker 1 running on :${broker.port}`);
  expect(readFileSync(portFile, "utf8")).toBe(`${broker.port}\n`);
  expect(readdirSync(dir).sort()).toEqual(["data", "port"]);
  const health = await fetch(`http://127.0.0.1:${readFileSync(portFile, "utf8").trim()}/health`);
  expect(health.status).toBe(200);
  expect(((await health.json()) as { address: string }).address).toBe(`localhost:${broker.port}`);
  // A clean stop takes its port file away: nothing listens there any more.
  expect(await broker.stop()).toBe(0);
  expect(readdirSync(dir)).toEqual(["data"]);
});

test("a port file that cannot be written stops the broker before it says it runs: one line, exit 1, data dir unlocked", async () => {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-cmd-"));
  stop = async () => rmSync(dir, { recursive: true, force: true });
  const portFile = join(dir, "missing", "port");
  const result = await runCli(["broker", "--id=1", "--port=0", "--host=127.0.0.1", `--data-dir=${join(dir, "data")}`, `--port-file=${portFile}`]);
  expect(result).toEqual({ exitCode: 1, stdout: "", stderr: `Error: cannot write the port file ${portFile}: its folder does not exist\n` });
  expect(readdirSync(join(dir, "data"))).not.toContain("broker.lock");
});

test("settings come from STREAMNEST_* variables too; a flag wins over its variable; a bad variable is named", async () => {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-cmd-"));
  const broker = new BrokerProcess(1, 0, join(dir, "data"), [], {
    args: ["--max-partitions=3"],
    env: { STREAMNEST_ID: "9", STREAMNEST_MAX_PARTITIONS: "5", STREAMNEST_MAX_MESSAGE_BYTES: "1k", STREAMNEST_ADVERTISE: "example.test:0" },
  });
  stop = async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  await broker.start();
  const health = (await (await fetch(`${broker.url}/health`)).json()) as { id: number; address: string };
  expect(health).toMatchObject({ id: 1, address: `example.test:${broker.port}` });
  const create = (partitions: number) =>
    fetch(`${broker.url}/create-topic`, { method: "POST", body: JSON.stringify({ topic: `t${partitions}`, partitions }) });
  expect((await create(4)).status).toBe(400);
  expect((await create(3)).status).toBe(200);
  const big = await fetch(`${broker.url}/produce`, { method: "POST", body: JSON.stringify({ topic: "t3", message: "x".repeat(1025) }) });
  expect(big.status).toBe(413);

  expect(await runCli(["broker"], { env: { STREAMNEST_ID: "x" } })).toEqual({
    exitCode: 1,
    stdout: "",
    stderr: 'Error: STREAMNEST_ID must be a whole number from 1 to 2147483647, not "x"\n',
  });
  expect(await runCli(["broker", "--count=2", "--base-port=1"], { env: { STREAMNEST_ADVERTISE: "h:1" } })).toEqual({
    exitCode: 1,
    stdout: "",
    stderr: "Error: --count decides each broker's id, port and peers itself, and every broker it starts would inherit STREAMNEST_ADVERTISE: unset it\n",
  });
  expect(await runCli(["broker", "--count=2", "--base-port=0"])).toEqual({
    exitCode: 1,
    stdout: "",
    stderr:
      "Error: --count needs its ports before the brokers start (each is told the others' ports), so --base-port cannot be 0: choose a free --base-port\n",
  });
});
