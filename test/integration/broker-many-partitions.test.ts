import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerProcess, startBroker } from "../helpers/broker-harness.ts";
import { get, post } from "../helpers/cluster-http.ts";

/**
 * A broker written to on many more partitions than it keeps logs open: every record
 * reads back byte for byte (before and after kill -9), its open files stay bounded by
 * --max-open-partitions instead of growing with every partition ever written, and under
 * a low `ulimit -n` the default bound keeps it working, or the failure says why.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

const onLinux = process.platform === "linux";
const onUnix = process.platform !== "win32";

/** A message unique to the partition, with multi-byte UTF-8, quotes and a varying size. */
function message(partition: number, n: number): string {
  return `p${partition}#${n} ünïcödé 中文 🚀 "q" \\ ${"é".repeat((partition * 7 + n) % 50)}`;
}

/** Runs `worker` over 0..count-1, `concurrency` at a time. */
async function each(count: number, concurrency: number, worker: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await worker(next++);
    }),
  );
}

interface RecordsPage {
  records: Array<{ offset: number; message: string }>;
  next_offset: number;
}

async function produceAll(url: string, topic: string, partitions: number, perPartition: number): Promise<void> {
  await each(partitions, 8, async (p) => {
    for (let n = 0; n < perPartition; n++) {
      const res = await post(url, "/produce", { topic, message: message(p, n), partition: p });
      expect(res).toEqual({ status: 200, body: { partition: p, offset: n } });
    }
  });
}

async function expectAll(url: string, topic: string, partitions: number, perPartition: number): Promise<void> {
  await each(partitions, 8, async (p) => {
    const res = await get<RecordsPage>(url, `/topics/${topic}/partitions/${p}/records?offset=0&max=1000`);
    expect(res.status).toBe(200);
    expect(res.body.records.map((r) => [r.offset, r.message])).toEqual(
      Array.from({ length: perPartition }, (_, n) => [n, message(p, n)]),
    );
  });
}

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function pidOf(broker: BrokerProcess): number {
  const pid = broker.proc?.pid;
  if (pid === undefined) throw new Error("broker not running");
  return pid;
}

describe("a broker with --max-open-partitions=16 and 300 partitions written", () => {
  test("every record reads back byte for byte, before and after kill -9 and a restart", async () => {
    const { broker, stop } = await startBroker({ args: ["--max-open-partitions=16"] });
    cleanups.push(stop);
    expect(await post(broker, "/create-topic", { topic: "wide", partitions: 300 })).toEqual({ status: 200, body: { status: "created" } });
    await produceAll(broker.url, "wide", 300, 2);
    await expectAll(broker.url, "wide", 300, 2);
    const described = await get<{ partitions: Array<{ end_offset: number }> }>(broker, "/topics/wide");
    expect(described.body.partitions.map((p) => p.end_offset)).toEqual(Array.from({ length: 300 }, () => 2));

    await broker.kill9();
    await broker.start();
    await expectAll(broker.url, "wide", 300, 2);
    // Appends go on at the right offsets after the restart.
    await each(300, 8, async (p) => {
      expect(await post(broker, "/produce", { topic: "wide", message: message(p, 2), partition: p })).toEqual({
        status: 200,
        body: { partition: p, offset: 2 },
      });
    });
    await expectAll(broker.url, "wide", 300, 3);
  }, 120_000);

  test.skipIf(!onLinux)("its open files stay bounded by the limit, not by the partitions written", async () => {
    // fsync "always": an evicted log has nothing left to flush and closes on the spot.
    const { broker, stop } = await startBroker({ args: ["--max-open-partitions=16", "--fsync=always"] });
    cleanups.push(stop);
    const pid = pidOf(broker);
    expect(await post(broker, "/create-topic", { topic: "fds", partitions: 300 })).toEqual({ status: 200, body: { status: "created" } });
    const before = openFiles(pid);
    let most = before;
    await each(300, 8, async (p) => {
      expect(await post(broker, "/produce", { topic: "fds", message: message(p, 0), partition: p })).toEqual({
        status: 200,
        body: { partition: p, offset: 0 },
      });
      most = Math.max(most, openFiles(pid));
    });
    await expectAll(broker.url, "fds", 300, 1);
    most = Math.max(most, openFiles(pid));
    // 16 logs of 3 files (segment, index, WAL), plus room for the client's connections;
    // every log kept open would be 900 files.
    expect(most - before).toBeLessThanOrEqual(16 * 3 + 32);
  }, 120_000);
});

/** A broker run under `ulimit -n <limit>` (soft and hard), as a user with a low limit has it. */
async function startLimited(limit: number, args: string[]): Promise<BrokerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "streamnest-ulimit-"));
  const broker = new BrokerProcess(1, 0, dataDir, [], { args, wrap: ["sh", "-c", `ulimit -n ${limit} && exec "$@"`, "sh"] });
  cleanups.push(async () => {
    await broker.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  });
  await broker.start();
  return broker;
}

describe("a broker under a low open-file limit", () => {
  test.skipIf(!onUnix)("ulimit -n 1024 and the default bound: 500 partitions are written and read back", async () => {
    const { url } = await startLimited(1024, []);
    expect(await post(url, "/create-topic", { topic: "low", partitions: 500 })).toEqual({ status: 200, body: { status: "created" } });
    await produceAll(url, "low", 500, 1);
    await expectAll(url, "low", 500, 1);
  }, 120_000);

  test.skipIf(!onUnix)("a bound set higher than the limit allows: the failure names the file limit and both ways out", async () => {
    const broker = await startLimited(200, ["--max-open-partitions=1000"]);
    const { url } = broker;
    expect(await post(url, "/create-topic", { topic: "over", partitions: 200 })).toEqual({ status: 200, body: { status: "created" } });
    let refused: { status: number; body: { error: string; message: string } } | undefined;
    for (let p = 0; p < 200 && refused === undefined; p++) {
      const res = await post<{ error: string; message: string }>(url, "/produce", { topic: "over", message: "x", partition: p });
      if (res.status !== 200) refused = res;
    }
    expect(refused?.status).toBe(500);
    expect(refused?.body.error).toBe("STORAGE_ERROR");
    expect(refused?.body.message).toContain("the broker has run out of file descriptors");
    expect(refused?.body.message).toContain("its limit is 200 open files");
    expect(refused?.body.message).toContain("raise the limit with `ulimit -n` before starting the broker, or lower --max-open-partitions (now 1000");
    expect(broker.output).not.toContain("INTERNAL_ERROR");
  }, 120_000);
});
