import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerProcess, runCli } from "../helpers/broker-harness.ts";
import { get, post } from "../helpers/cluster-http.ts";
import { cleanupsAfterEach } from "../helpers/cleanups.ts";

/**
 * Files of a broker's data dir changed by hand, between runs or under a running broker:
 * every case is a clear error or a recovery said in the log, never a stack trace, a
 * crash, or an acknowledged record lost that the files still hold.
 */

const cleanups = cleanupsAfterEach();

async function startedBroker(): Promise<BrokerProcess> {
  const root = mkdtempSync(join(tmpdir(), "streamnest-tamper-"));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const broker = new BrokerProcess(1, 0, join(root, "data"), [], {});
  await broker.start();
  cleanups.push(() => broker.kill9());
  return broker;
}

/** Topic "t" of two partitions, with `count` messages in each. */
async function seed(broker: BrokerProcess, count: number): Promise<void> {
  expect((await post(broker, "/create-topic", { topic: "t", partitions: 2 })).status).toBe(200);
  for (const partition of [0, 1]) {
    const messages = Array.from({ length: count }, (_, i) => ({ message: message(partition, i), partition }));
    expect((await post(broker, "/produce", { topic: "t", messages })).status).toBe(200);
  }
}

const message = (partition: number, i: number): string => `p${partition} message ${i} ${"~".repeat(i % 50)}`;
const expected = (partition: number, count: number): string[] => Array.from({ length: count }, (_, i) => message(partition, i));

async function messages(broker: BrokerProcess, partition: number): Promise<string[]> {
  const page = await get<{ records: { message: string }[] }>(broker, `/topics/t/partitions/${partition}/records?offset=0&max=10000`);
  expect(page.status).toBe(200);
  return page.body.records.map((r) => r.message);
}

function stackLines(output: string): string[] {
  return output.split("\n").filter((line) => /^\s+at /.test(line));
}

/** The start refused: exit 1, one line on stderr naming `file`, no stack trace, every folder kept. */
async function expectRefusedNaming(broker: BrokerProcess, file: string): Promise<void> {
  const run = await runCli(["broker", "--id=1", `--port=${broker.port}`, "--host=127.0.0.1", `--data-dir=${broker.dataDir}`]);
  expect(run.exitCode).toBe(1);
  const lines = run.stderr.trim().split("\n");
  expect(lines.length).toBe(1);
  expect(lines[0]).toContain(file);
  expect(stackLines(run.stderr + run.stdout)).toEqual([]);
  expect(readdirSync(broker.dataDir).sort()).toEqual(["meta", "t-0", "t-1"]);
}

const DAMAGES = [
  ["garbage", "{ this is not json"],
  ["JSON of another shape", '{"hello":"world"}'],
] as const;

describe("the metadata log's files damaged between runs (the quorum's log is the metadata)", () => {
  const logDir = (broker: BrokerProcess) => join(broker.dataDir, "meta", "__cluster_metadata-0");
  for (const name of ["quorum-state.json", "quorum-voters.json"]) {
    for (const [what, content] of [...DAMAGES, ["empty", ""]] as const) {
      test(`${name}, ${what}: the start is refused with one line naming the file, and nothing is deleted`, async () => {
        const broker = await startedBroker();
        await seed(broker, 3);
        await broker.stop();
        const file = join(broker.dataDir, "meta", name);
        writeFileSync(file, content);
        await expectRefusedNaming(broker, file);
        expect(readFileSync(file, "utf8")).toBe(content);
      });
    }
  }

  for (const [what, content] of DAMAGES) {
    test(`applied-offset, ${what}: the start is refused with one line naming the file, and nothing is deleted`, async () => {
      const broker = await startedBroker();
      await seed(broker, 3);
      await broker.stop();
      const file = join(logDir(broker), "applied-offset");
      writeFileSync(file, content);
      await expectRefusedNaming(broker, file);
      expect(readFileSync(file, "utf8")).toBe(content);
    });
  }

  test("the log segment's tail torn (half a record appended): recovered, every committed change kept, and the broker takes changes", async () => {
    const broker = await startedBroker();
    await seed(broker, 3);
    await broker.stop();
    const segment = join(logDir(broker), "log", "00000000000000000000.log");
    const whole = readFileSync(segment);
    // The first 40 bytes of a record's header, as a crash mid-append leaves them.
    writeFileSync(segment, Buffer.concat([whole, whole.subarray(0, 40)]));
    await broker.start();
    expect(await messages(broker, 0)).toEqual(expected(0, 3));
    expect(await messages(broker, 1)).toEqual(expected(1, 3));
    expect(readdirSync(broker.dataDir).sort()).toEqual(["broker.lock", "meta", "t-0", "t-1"]);
    expect(broker.output).toContain(`${join(logDir(broker), "log")}: truncating torn tail of segment 0: 40 bytes at position ${whole.length}`);
    expect(stackLines(broker.output)).toEqual([]);
    expect((await post(broker, "/create-topic", { topic: "u", partitions: 1 })).body).toEqual({ status: "created" });
    await broker.stop();
    await broker.start();
    expect((await get<{ topics: string[] }>(broker, "/list-topics")).body.topics.sort()).toEqual(["t", "u"]);
  });

  test("a byte changed in the log's last committed entry: recovery cannot keep it, so the start is refused naming the log, and nothing is deleted", async () => {
    const broker = await startedBroker();
    await seed(broker, 3);
    await broker.stop();
    const segment = join(logDir(broker), "log", "00000000000000000000.log");
    const bytes = readFileSync(segment);
    const fd = openSync(segment, "r+");
    writeSync(fd, Buffer.from([bytes[bytes.length - 3]! ^ 0xff]), 0, 1, bytes.length - 3);
    closeSync(fd);
    await expectRefusedNaming(broker, `the metadata log ${logDir(broker)} ends at offset`);
  });

  test("the latest snapshot replaced by garbage: the start is refused with one line naming the snapshot file, and nothing is deleted", async () => {
    const root = mkdtempSync(join(tmpdir(), "streamnest-tamper-"));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    // A snapshot every 2 entries: the log's first changes are soon in one.
    const broker = new BrokerProcess(1, 0, join(root, "data"), [], { args: ["--metadata-snapshot-entries=2"] });
    await broker.start();
    cleanups.push(() => broker.kill9());
    await seed(broker, 3);
    expect((await post(broker, "/create-topic", { topic: "u", partitions: 1 })).status).toBe(200);
    await broker.stop();
    const snapshots = readdirSync(logDir(broker)).filter((f) => f.endsWith(".snapshot"));
    expect(snapshots.length).toBe(1);
    const file = join(logDir(broker), snapshots[0]!);
    writeFileSync(file, "{ this is not json");
    await expectRefusedNaming(broker, `the metadata snapshot ${file} is damaged`);
    expect(readFileSync(file, "utf8")).toBe("{ this is not json");
  });
});

describe("metadata.json damaged in a data dir still to be upgraded (no metadata log yet)", () => {
  for (const [what, content] of [...DAMAGES, ["empty", ""]] as const) {
    test(`${what}: the start is refused with one line naming the file, and nothing is deleted`, async () => {
      const broker = await startedBroker();
      await seed(broker, 3);
      await broker.stop();
      // What a release before the quorum left: metadata.json and no metadata log.
      rmSync(join(broker.dataDir, "meta", "__cluster_metadata-0"), { recursive: true });
      const file = join(broker.dataDir, "meta", "metadata.json");
      writeFileSync(file, content);
      await expectRefusedNaming(broker, file);
      expect(readFileSync(file, "utf8")).toBe(content);
    });
  }

  test("deleted: the partition folders are kept (not removed as orphans), and creating the topic again serves them", async () => {
    const broker = await startedBroker();
    await seed(broker, 5);
    await broker.stop();
    rmSync(join(broker.dataDir, "meta"), { recursive: true });
    await broker.start();
    await broker.waitForOutput("no metadata names the partition folders");
    expect(broker.output).not.toContain("removing");
    expect(existsSync(join(broker.dataDir, "t-0"))).toBe(true);
    expect((await post(broker, "/create-topic", { topic: "t", partitions: 2 })).body).toEqual({ status: "created" });
    expect(await messages(broker, 0)).toEqual(expected(0, 5));
    expect(await messages(broker, 1)).toEqual(expected(1, 5));
  });
});

describe("a partition's index damaged between runs", () => {
  for (const [what, damage] of [
    ["replaced by garbage", (file: string) => writeFileSync(file, "not a database ".repeat(1000))],
    ["emptied", (file: string) => writeFileSync(file, "")],
  ] as const) {
    test(`${what}: it is rebuilt from the log, with a line saying so, and every record is there`, async () => {
      const broker = await startedBroker();
      await seed(broker, 200);
      await broker.stop();
      const index = join(broker.dataDir, "t-0", "index.sqlite");
      damage(index);
      await broker.start();
      expect(await messages(broker, 0)).toEqual(expected(0, 200));
      expect(await messages(broker, 1)).toEqual(expected(1, 200));
      expect(broker.output).toContain(`${index} `);
      expect(broker.output).toContain("rebuilding it from the log");
      expect(stackLines(broker.output)).toEqual([]);
      expect((await post(broker, "/produce", { topic: "t", message: "next", partition: 0 })).body).toEqual({ offset: 200, partition: 0 });
    });
  }
});

describe("files changed under a running broker", () => {
  test("a deleted segment: produce to that partition is a coded error, other partitions go on, the broker stays up", async () => {
    const broker = await startedBroker();
    await seed(broker, 4);
    const segment = join(broker.dataDir, "t-0", "00000000000000000000.log");
    rmSync(segment);
    const refused = await post<{ error: string; message: string }>(broker, "/produce", { topic: "t", message: "lost?", partition: 0 });
    expect(refused.status).toBe(500);
    expect(refused.body.error).toBe("STORAGE_ERROR");
    // Named inside the data dir: the client learns nothing of the broker's file system.
    expect(refused.body.message).toBe(
      "t-0/00000000000000000000.log was deleted while the broker had it open; appends to this partition are refused until the broker is restarted, which recovers it from what is left on disk",
    );
    expect(broker.output).toContain(`${segment} was deleted while the broker had it open`);
    expect((await post(broker, "/produce", { topic: "t", message: message(1, 4), partition: 1 })).body).toEqual({ offset: 4, partition: 1 });
    expect(await messages(broker, 1)).toEqual(expected(1, 5));
    expect((await get(broker, "/health")).status).toBe(200);
    await broker.kill9();
    await broker.start();
    expect(await messages(broker, 1)).toEqual(expected(1, 5));
    expect((await post(broker, "/produce", { topic: "t", message: "again", partition: 0 })).status).toBe(200);
  });

  test("the topic's folders deleted: produce is refused, nothing is acknowledged into files that are gone", async () => {
    const broker = await startedBroker();
    await seed(broker, 2);
    for (const p of [0, 1]) rmSync(join(broker.dataDir, `t-${p}`), { recursive: true });
    for (const partition of [0, 1]) {
      const refused = await post<{ error: string }>(broker, "/produce", { topic: "t", message: "m", partition });
      expect(refused.status).toBe(500);
      expect(refused.body.error).toBe("STORAGE_ERROR");
    }
    expect((await get(broker, "/health")).status).toBe(200);
  });

  test("a record whose bytes changed on disk: CORRUPT_RECORD for that partition only", async () => {
    const broker = await startedBroker();
    await seed(broker, 3);
    const segment = join(broker.dataDir, "t-0", "00000000000000000000.log");
    const bytes = readFileSync(segment);
    const at = bytes.indexOf(Buffer.from("p0 message 1"));
    expect(at).toBeGreaterThan(0);
    const fd = openSync(segment, "r+");
    writeSync(fd, Buffer.from("X"), 0, 1, at);
    closeSync(fd);
    const read = await get<{ error: string; message: string }>(broker, "/topics/t/partitions/0/records?offset=1");
    expect(read.status).toBe(500);
    expect(read.body.error).toBe("CORRUPT_RECORD");
    expect(read.body.message).toContain("CRC32C mismatch");
    expect(await messages(broker, 1)).toEqual(expected(1, 3));
    const first = await get<{ records: { message: string }[] }>(broker, "/topics/t/partitions/0/records?offset=0&max=1");
    expect(first.body.records.map((r) => r.message)).toEqual([message(0, 0)]);
  });
});

describe("the data dir holding more than the broker put there", () => {
  test("stray files and folders are ignored and left alone", async () => {
    const broker = await startedBroker();
    await seed(broker, 3);
    await broker.stop();
    const strays = [join(broker.dataDir, "notes.txt"), join(broker.dataDir, "t-0", "README"), join(broker.dataDir, "backup-1", "x.txt")];
    mkdirSync(join(broker.dataDir, "backup-1"));
    mkdirSync(join(broker.dataDir, "t-1", "old"));
    for (const file of strays) writeFileSync(file, "mine");
    await broker.start();
    expect(await messages(broker, 0)).toEqual(expected(0, 3));
    expect(await messages(broker, 1)).toEqual(expected(1, 3));
    expect((await post(broker, "/produce", { topic: "t", message: "m", partition: 1 })).body).toEqual({ offset: 3, partition: 1 });
    for (const file of strays) expect(readFileSync(file, "utf8")).toBe("mine");
    expect(existsSync(join(broker.dataDir, "t-1", "old"))).toBe(true);
  });

  test("a second broker on the same data dir is refused", async () => {
    const broker = await startedBroker();
    const run = await runCli(["broker", "--id=1", "--port=0", "--host=127.0.0.1", `--data-dir=${broker.dataDir}`]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim()).toBe(`Error: data dir ${broker.dataDir} is in use by another broker (pid ${broker.proc?.pid})`);
  });
});
