import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LeaseOptions, type LogLease, OpenLogs } from "../../src/broker/open-logs.ts";
import { waitForAppend } from "../../src/broker/wait-for-append.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import type { FsyncMode, LogOptions, RecordInput } from "../../src/storage/types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

let root: string;
let sets: OpenLogs<string>[] = [];
let warnings: string[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-open-logs-"));
  warnings = [];
});
afterEach(async () => {
  await Promise.all(sets.map((s) => s.closeAll()));
  sets = [];
  rmSync(root, { recursive: true, force: true });
});

function record(text: string): RecordInput {
  return { key: null, value: encoder.encode(text), headers: [], timestamp: 1_700_000_000_000 };
}

/** The set under test, and what it evicted, in order. */
function openLogs(limit: number): { logs: OpenLogs<string>; evicted: string[] } {
  const evicted: string[] = [];
  const logs = new OpenLogs<string>(limit, { warn: (m) => warnings.push(m), evicting: (name) => evicted.push(name) });
  sets.push(logs);
  return { logs, evicted };
}

function lease(logs: OpenLogs<string>, name: string, options: LeaseOptions & { log?: Partial<LogOptions> } = {}): Promise<LogLease> {
  const dir = join(root, name);
  return logs.acquire(dir, name, () => PartitionLog.open(dir, options.log ?? {}, (m) => warnings.push(m)), options);
}

async function readAll(logs: OpenLogs<string>, name: string): Promise<string[]> {
  const l = await lease(logs, name);
  try {
    return l.log.read(0, 1000, 1024 * 1024).map((r) => decoder.decode(r.value!));
  } finally {
    l.release();
  }
}

async function closedError(action: () => unknown): Promise<string> {
  try {
    await action();
    return "still open";
  } catch (error) {
    return error instanceof StreamNestError ? error.message : String(error);
  }
}

describe("OpenLogs", () => {
  test("more partitions than the limit: at most the limit stay open, the least recently used goes, every record reads back", async () => {
    const { logs, evicted } = openLogs(4);
    const names = Array.from({ length: 30 }, (_, i) => `t-${i}`);
    for (const name of names) {
      for (let n = 0; n < 3; n++) {
        const l = await lease(logs, name);
        await l.log.append([record(`${name}:${n}`)]);
        l.release();
      }
      expect(logs.size).toBeLessThanOrEqual(4);
    }
    // Least recently used first.
    expect(evicted).toEqual(names.slice(0, 26));
    for (const name of names) expect(await readAll(logs, name)).toEqual([`${name}:0`, `${name}:1`, `${name}:2`]);
    expect(logs.size).toBe(4);
    expect(warnings).toEqual([]);
  });

  test("a use makes a log the most recent: the one used least recently is the one closed", async () => {
    const { logs, evicted } = openLogs(3);
    for (const name of ["a", "b", "c"]) (await lease(logs, name)).release();
    (await lease(logs, "a")).release();
    (await lease(logs, "d")).release();
    expect(evicted).toEqual(["b"]);
    expect(logs.get(join(root, "a"))).toBeDefined();
    expect(logs.get(join(root, "b"))).toBeUndefined();
  });

  test("an evicted log is closed: its old object refuses use, and the folder reopens with its data", async () => {
    const { logs } = openLogs(1);
    const first = await lease(logs, "a");
    await first.log.append([record("one")]);
    first.release();
    (await lease(logs, "b")).release();
    // With fsync "interval" the segment was unflushed: its close (a flush) may still run.
    await logs.closing(join(root, "a"));
    expect(await closedError(() => first.log.read(0, 1, 1024))).toBe(`partition log ${join(root, "a")} is closed`);
    const again = await lease(logs, "a");
    expect(again.log).not.toBe(first.log);
    await again.log.append([record("two")]);
    expect(again.log.read(0, 10, 1024).map((r) => [r.offset, decoder.decode(r.value!)])).toEqual([
      [0, "one"],
      [1, "two"],
    ]);
    again.release();
  });

  test("a held log (a live tail) is never closed, however many others open; it keeps hearing of appends", async () => {
    const { logs, evicted } = openLogs(2);
    const tailed = await lease(logs, "tailed");
    const heard = waitForAppend(tailed.log, 0, Infinity, []);
    for (let i = 0; i < 20; i++) {
      const l = await lease(logs, `other-${i}`);
      await l.log.append([record(`o${i}`)]);
      l.release();
    }
    expect(evicted).not.toContain("tailed");
    expect(logs.get(join(root, "tailed"))).toBe(tailed.log);
    const writer = await lease(logs, "tailed");
    expect(writer.log).toBe(tailed.log);
    await writer.log.append([record("live")]);
    writer.release();
    await heard;
    expect(tailed.log.read(0, 10, 1024).map((r) => decoder.decode(r.value!))).toEqual(["live"]);
    tailed.release();
    // Given back, it is an ordinary idle log again: the next open past the limit closes it.
    (await lease(logs, "next-1")).release();
    (await lease(logs, "next-2")).release();
    expect(evicted).toContain("tailed");
    expect(await readAll(logs, "tailed")).toEqual(["live"]);
  });

  test("more held logs than the limit: the set grows past it rather than close one, and says so once", async () => {
    const { logs } = openLogs(2);
    const held = [await lease(logs, "a"), await lease(logs, "b"), await lease(logs, "c"), await lease(logs, "d")];
    expect(logs.size).toBe(4);
    expect(warnings).toEqual([
      "3 partition logs are open, more than --max-open-partitions=2: each is in use (an append, a long poll, a live tail, a group coordinator) and stays open until it is not",
    ]);
    for (const l of held) await l.log.append([record("x")]);
    for (const l of held) l.release();
    expect(logs.size).toBe(2);
  });

  for (const fsync of ["always", "interval", "never"] as FsyncMode[])
    test(`fsync ${fsync}: a log closed with an append still pending writes it first; the append is acknowledged and reads back`, async () => {
      const { logs, evicted } = openLogs(1);
      const a = await lease(logs, "a", { log: { fsync } });
      const first = a.log.append([record("before")]);
      // Given back before its append was written (a holder that let go too early): the
      // eviction below must not lose it.
      a.release();
      (await lease(logs, "b", { log: { fsync } })).release();
      expect(evicted).toEqual(["a"]);
      expect(await first).toEqual({ baseOffset: 0, lastOffset: 0 });
      expect(await readAll(logs, "a")).toEqual(["before"]);
    });

  test("a log whose close is still running is opened again only once it is done", async () => {
    const { logs } = openLogs(1);
    const a = await lease(logs, "a");
    await a.log.append([record("unflushed")]);
    a.release();
    (await lease(logs, "b")).release();
    const dir = join(root, "a");
    // Unflushed ("interval"): its eviction flushes it, which takes a turn of the event loop.
    expect(logs.closing(dir)).toBeDefined();
    const code = await closedError(() => logs.acquireNow(dir, "a", () => PartitionLog.open(dir)));
    expect(code).toBe(`the log of ${dir} is being closed; retry`);
    expect(await readAll(logs, "a")).toEqual(["unflushed"]);
    expect(logs.closing(dir)).toBeUndefined();
  });

  test("a clean, idle log closes on the spot: its files are free before the next open", async () => {
    const { logs } = openLogs(1);
    const a = await lease(logs, "a", { log: { fsync: "always" } });
    await a.log.append([record("flushed")]);
    a.release();
    (await lease(logs, "b")).release();
    expect(logs.closing(join(root, "a"))).toBeUndefined();
    // Opened directly, not through the set: only possible once the first log let the folder go.
    const direct = PartitionLog.open(join(root, "a"));
    expect(direct.read(0, 10, 1024).map((r) => decoder.decode(r.value!))).toEqual(["flushed"]);
    await direct.close();
  });

  test("a passing look closes the log again on release and pushes no other out", async () => {
    const { logs, evicted } = openLogs(2);
    for (const name of ["a", "b"]) {
      const l = await lease(logs, name);
      await l.log.append([record(name)]);
      l.release();
    }
    const look = await lease(logs, "c", { passing: true });
    expect(logs.size).toBe(3);
    look.release();
    expect(evicted).toEqual(["c"]);
    expect(logs.get(join(root, "a"))).toBeDefined();
    expect(logs.get(join(root, "b"))).toBeDefined();
    // A look at a log already open leaves it open.
    (await lease(logs, "a", { passing: true })).release();
    expect(logs.get(join(root, "a"))).toBeDefined();
  });

  test("use: an open log without a lease, counted as a use; a closed one is not opened", async () => {
    const { logs, evicted } = openLogs(2);
    for (const name of ["a", "b"]) (await lease(logs, name)).release();
    expect(logs.use(join(root, "never"))).toBeUndefined();
    expect(logs.size).toBe(2);
    // "a" was used last: "b" is the least recent and goes when "c" opens.
    expect(logs.use(join(root, "a"))).toBe(logs.get(join(root, "a")) as PartitionLog);
    (await lease(logs, "c")).release();
    expect(evicted).toEqual(["b"]);
    expect(logs.use(join(root, "b"))).toBeUndefined();
    // A log opened for a look and used meanwhile stays open after the look.
    const look = await lease(logs, "d", { passing: true });
    expect(logs.use(join(root, "d"))).toBe(look.log);
    look.release();
    expect(logs.get(join(root, "d"))).toBe(look.log);
    expect(evicted).toEqual(["b", "a"]);
  });

  test("a kept log is never closed, even when idle", async () => {
    const { logs, evicted } = openLogs(1);
    (await lease(logs, "kept", { keep: true })).release();
    for (let i = 0; i < 5; i++) (await lease(logs, `o${i}`)).release();
    expect(evicted).not.toContain("kept");
    expect(logs.get(join(root, "kept"))).toBeDefined();
  });

  test("detach hands the open log over, held or not; a later release leaves it alone", async () => {
    const { logs, evicted } = openLogs(1);
    const held = await lease(logs, "a");
    const log = logs.detach(join(root, "a"));
    expect(log).toBe(held.log);
    expect(logs.size).toBe(0);
    held.release();
    expect(evicted).toEqual([]);
    expect(await held.log.append([record("still open")])).toEqual({ baseOffset: 0, lastOffset: 0 });
    await held.log.close();
  });
});
