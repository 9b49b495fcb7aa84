import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { deletePartitionLog, PartitionLog } from "../../src/storage/index.ts";
import { sizeRecord } from "../../src/storage/record-codec.ts";
import type { LogOptions, RecordInput } from "../../src/storage/types.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openLog(options: Partial<LogOptions> = {}, warnings: string[] = []): PartitionLog {
  const dir = tempDir();
  const log = PartitionLog.open(join(dir.path, "demo-0"), { fsync: "never", ...options }, (m) => warnings.push(m));
  cleanups.push(dir.remove, () => log.close());
  return log;
}

async function appendRange(log: PartitionLog, from: number, to: number, batch = 10): Promise<void> {
  for (let o = from; o < to; o += batch) {
    const records = [];
    for (let i = o; i < Math.min(to, o + batch); i++) records.push(recordFor(i));
    const result = await log.append(records);
    expect(result.baseOffset).toBe(o);
  }
}

async function codeOf(action: () => unknown): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (error instanceof StreamNestError) return error.code;
    throw error;
  }
  return "no error";
}

describe("PartitionLog append and read", () => {
  test("a new log is empty and starts at offset 0", () => {
    const log = openLog();
    expect(log.startOffset).toBe(0);
    expect(log.endOffset).toBe(0);
    expect(log.sizeBytes).toBe(0);
    expect(log.read(0, 10, 1_000_000)).toEqual([]);
  });

  test("round trip of keys, null keys, values, empty values, headers, timestamps and multi-byte UTF-8", async () => {
    const log = openLog();
    const records: RecordInput[] = [
      { key: utf8("user-1"), value: utf8("hello"), headers: [], timestamp: 1_700_000_000_000 },
      { key: null, value: utf8(""), headers: [], timestamp: 0 },
      { key: utf8(""), value: new Uint8Array(0), headers: [{ key: "trace", value: null }], timestamp: 5 },
      {
        key: utf8("ключ-🔑"),
        value: utf8("日本語のメッセージ 🎉 ñ"),
        headers: [
          { key: "content-type", value: utf8("text/plain; charset=utf-8") },
          { key: "ヘッダ", value: utf8("値") },
          { key: "", value: new Uint8Array(0) },
        ],
        timestamp: 1_234_567_890_123,
      },
      { key: null, value: Uint8Array.from({ length: 256 }, (_, i) => i), headers: [], timestamp: Number.MAX_SAFE_INTEGER },
    ];
    const result = await log.append(records);
    expect(result).toEqual({ baseOffset: 0, lastOffset: 4 });
    expect(log.endOffset).toBe(5);
    expect(log.read(0, 100, 10_000_000)).toEqual(records.map((r, offset) => ({ ...r, offset })));
    expect(log.read(3, 1, 10_000_000)).toEqual([{ ...records[3], offset: 3 }]);
    expect(log.read(5, 10, 10_000_000)).toEqual([]);
  });

  test("records survive close and reopen byte for byte", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const path = join(dir.path, "p");
    const log = PartitionLog.open(path, { fsync: "always" });
    await appendRange(log, 0, 200, 7);
    await log.close();
    const again = PartitionLog.open(path, {});
    cleanups.push(() => again.close());
    expect(again.endOffset).toBe(200);
    expect(again.read(0, 1000, 100_000_000)).toEqual(Array.from({ length: 200 }, (_, o) => expectedAt(o)));
    expect((await again.append([recordFor(200)])).baseOffset).toBe(200);
  });

  test("concurrent appends of one turn are coalesced and keep their call order", async () => {
    const log = openLog({ fsync: "always" });
    const seen: number[] = [];
    log.onAppend((end) => seen.push(end));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.append([recordFor(2 * i), recordFor(2 * i + 1)])),
    );
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i));
    expect(results.map((r) => r.lastOffset)).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i + 1));
    // One coalesced group, hence one notification after its one flush.
    expect(seen).toEqual([100]);
    expect(log.read(0, 1000, 100_000_000)).toEqual(Array.from({ length: 100 }, (_, o) => expectedAt(o)));
  });

  test("onAppend reports each group's end offset under every fsync mode, and unsubscribes", async () => {
    for (const fsync of ["always", "interval", "never"] as const) {
      const log = openLog({ fsync });
      const seen: number[] = [];
      const off = log.onAppend((end) => seen.push(end));
      await log.append([recordFor(0)]);
      await log.append([recordFor(1), recordFor(2)]);
      off();
      await log.append([recordFor(3)]);
      expect(seen).toEqual([1, 3]);
    }
  });

  test("fsync always: appends from many turns, group-committed, are reported in order", async () => {
    const log = openLog({ fsync: "always" });
    const seen: number[] = [];
    log.onAppend((end) => seen.push(end));
    const pending: Promise<{ baseOffset: number; lastOffset: number }>[] = [];
    for (let o = 0; o < 200; o++) {
      pending.push(log.append([recordFor(o)]));
      if (o % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(pending);
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 200 }, (_, o) => o));
    await log.flush();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((end, i) => i === 0 || end > seen[i - 1])).toBe(true);
    expect(seen[seen.length - 1]).toBe(200);
    expect(log.read(0, 1000, 1e9)).toEqual(Array.from({ length: 200 }, (_, o) => expectedAt(o)));
  });

  test("flush resolves with everything written", async () => {
    const log = openLog({ fsync: "interval", fsyncIntervalMs: 60_000 });
    const pending = log.append([recordFor(0)]);
    await log.flush();
    expect(await pending).toEqual({ baseOffset: 0, lastOffset: 0 });
    expect(log.endOffset).toBe(1);
  });
});

describe("PartitionLog read budget", () => {
  const frame = (o: number): number => sizeRecord(recordFor(o)).frameBytes;

  test("maxRecords caps the count", async () => {
    const log = openLog();
    await appendRange(log, 0, 30);
    expect(log.read(4, 3, 1_000_000).map((r) => r.offset)).toEqual([4, 5, 6]);
    expect(log.read(25, 100, 1_000_000).map((r) => r.offset)).toEqual([25, 26, 27, 28, 29]);
    expect(log.read(0, 1000, 1_000_000)).toHaveLength(30);
  });

  test("maxBytes stops before the budget would be exceeded", async () => {
    const log = openLog();
    await appendRange(log, 0, 30);
    const three = frame(10) + frame(11) + frame(12);
    expect(log.read(10, 100, three).map((r) => r.offset)).toEqual([10, 11, 12]);
    expect(log.read(10, 100, three - 1).map((r) => r.offset)).toEqual([10, 11]);
    expect(log.read(10, 100, three + frame(13) - 1).map((r) => r.offset)).toEqual([10, 11, 12]);
  });

  test("at least one record comes back even when it alone exceeds maxBytes (KIP-74)", async () => {
    const log = openLog();
    await appendRange(log, 0, 5);
    expect(log.read(2, 100, 1)).toEqual([expectedAt(2)]);
  });

  test("reads longer than one index query span them", async () => {
    const log = openLog();
    await appendRange(log, 0, 1500, 500);
    const all = log.read(0, 2000, 1_000_000_000);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 1500 }, (_, o) => o));
    expect(all[1234]).toEqual(expectedAt(1234));
  });
});

describe("PartitionLog segments", () => {
  test("segments roll at segmentBytes and reads cross segment boundaries", async () => {
    const log = openLog({ segmentBytes: 1024 });
    await appendRange(log, 0, 120, 9);
    expect(log.segmentCount).toBeGreaterThan(5);
    const names = readdirSync(log.dir).filter((n) => n.endsWith(".log")).sort();
    expect(names[0]).toBe("00000000000000000000.log");
    expect(names.every((n) => /^\d{20}\.log$/.test(n))).toBe(true);
    // Each segment starts with the record its name says and stays within the size
    // (unless a single record is larger, which still gets a segment of its own).
    for (const name of names) {
      const base = Number(name.slice(0, 20));
      const [first] = log.read(base, 1, 1);
      expect(first.offset).toBe(base);
      expect(Bun.file(join(log.dir, name)).size).toBeLessThanOrEqual(1024);
    }
    expect(log.read(0, 1000, 1_000_000_000)).toEqual(Array.from({ length: 120 }, (_, o) => expectedAt(o)));
    expect(log.sizeBytes).toBe(names.reduce((sum, n) => sum + Bun.file(join(log.dir, n)).size, 0));
  });

  test("a record larger than a segment gets a segment of its own", async () => {
    const log = openLog({ segmentBytes: 100 });
    const big: RecordInput = { key: null, value: new Uint8Array(500).fill(7), headers: [], timestamp: 1 };
    await log.append([recordFor(0), big, recordFor(2)]);
    expect(log.segmentCount).toBe(3);
    expect(log.read(1, 1, 1)).toEqual([{ ...big, offset: 1 }]);
    expect(log.read(0, 10, 1_000_000).map((r) => r.offset)).toEqual([0, 1, 2]);
  });
});

describe("PartitionLog bad input", () => {
  test("invalid appends are typed errors and write nothing", async () => {
    const log = openLog({ maxRecordBytes: 1000 });
    await log.append([recordFor(0)]);
    const size = log.sizeBytes;
    const good = recordFor(1);
    const cases: [string, unknown][] = [
      ["INVALID_REQUEST", []],
      ["INVALID_REQUEST", "not an array"],
      ["INVALID_REQUEST", [{ ...good, value: "a string" }]],
      ["INVALID_REQUEST", [{ ...good, key: 5 }]],
      ["INVALID_REQUEST", [{ ...good, timestamp: Number.NaN }]],
      ["INVALID_REQUEST", [{ ...good, timestamp: 1.5 }]],
      ["INVALID_REQUEST", [{ ...good, headers: null }]],
      ["INVALID_REQUEST", [{ ...good, headers: [{ key: 1, value: null }] }]],
      ["INVALID_REQUEST", [{ ...good, headers: [{ key: "h", value: "text" }] }]],
      ["INVALID_REQUEST", [good, null]],
      ["MESSAGE_TOO_LARGE", [good, { ...good, value: new Uint8Array(1000) }]],
    ];
    for (const [code, input] of cases) {
      expect(await codeOf(() => log.append(input as RecordInput[]))).toBe(code);
    }
    expect(log.endOffset).toBe(1);
    expect(log.sizeBytes).toBe(size);
    expect((await log.append([good])).baseOffset).toBe(1);
  });

  test("a record of exactly maxRecordBytes is accepted", async () => {
    const base = sizeRecord({ key: null, value: new Uint8Array(0), headers: [], timestamp: 0 }).frameBytes;
    const log = openLog({ maxRecordBytes: 200 });
    const record: RecordInput = { key: null, value: new Uint8Array(200 - base), headers: [], timestamp: 0 };
    expect(await log.append([record])).toEqual({ baseOffset: 0, lastOffset: 0 });
    expect(await codeOf(() => log.append([{ ...record, value: new Uint8Array(201 - base) }]))).toBe("MESSAGE_TOO_LARGE");
  });

  test("out-of-range and malformed read arguments are typed errors", async () => {
    const log = openLog();
    await appendRange(log, 0, 10);
    expect(await codeOf(() => log.read(11, 1, 100))).toBe("OFFSET_OUT_OF_RANGE");
    expect(await codeOf(() => log.read(-1, 1, 100))).toBe("INVALID_OFFSET");
    expect(await codeOf(() => log.read(1.5, 1, 100))).toBe("INVALID_OFFSET");
    expect(await codeOf(() => log.read(Number.NaN, 1, 100))).toBe("INVALID_OFFSET");
    expect(await codeOf(() => log.read(0, 0, 100))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => log.read(0, -3, 100))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => log.read(0, 2.5, 100))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => log.read(0, 1, 0))).toBe("INVALID_REQUEST");
    expect(log.read(10, 1, 100)).toEqual([]);
  });

  test("bad options are refused before anything is created", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const path = join(dir.path, "p");
    for (const options of [
      { segmentBytes: 0 },
      { segmentBytes: 1.5 },
      { fsync: "sometimes" as "always" },
      { fsyncIntervalMs: -1 },
      { maxRecordBytes: 0 },
      { retentionBytes: -1 },
      { retentionMs: Number.NaN },
    ]) {
      expect(await codeOf(() => PartitionLog.open(path, options))).toBe("INVALID_REQUEST");
    }
    expect(existsSync(path)).toBe(false);
  });

  test("a closed log refuses further calls; one folder cannot be opened twice", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const path = join(dir.path, "p");
    const log = PartitionLog.open(path, {});
    expect(await codeOf(() => PartitionLog.open(path, {}))).toBe("STORAGE_ERROR");
    await log.append([recordFor(0)]);
    await log.close();
    await log.close();
    expect(await codeOf(() => log.append([recordFor(1)]))).toBe("STORAGE_ERROR");
    expect(await codeOf(() => log.read(0, 1, 100))).toBe("STORAGE_ERROR");
    expect(await codeOf(() => log.flush())).toBe("STORAGE_ERROR");
    const again = PartitionLog.open(path, {});
    expect(again.endOffset).toBe(1);
    await again.close();
  });

  test("a folder open in another process is refused and its index left alone", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const path = join(dir.path, "p");
    const fixture = join(import.meta.dir, "fixtures", "append-loop.ts");
    const child = Bun.spawn([process.execPath, fixture, path, "never"], { stdout: "pipe", stderr: "pipe" });
    cleanups.push(async () => {
      child.kill("SIGKILL");
      await child.exited;
    });
    // Wait for the child's first acknowledged append: its index is open and written.
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("ack ")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the appending child exited early");
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    const indexInode = statSync(join(path, "index.sqlite")).ino;
    const warnings: string[] = [];
    let caught: unknown;
    try {
      PartitionLog.open(path, {}, (m) => warnings.push(m));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StreamNestError);
    expect((caught as StreamNestError).code).toBe("STORAGE_ERROR");
    expect((caught as StreamNestError).message).toContain("another process has this partition open");
    expect(warnings).toEqual([]);
    expect(statSync(join(path, "index.sqlite")).ino).toBe(indexInode);
    child.kill("SIGKILL");
    await child.exited;
    // Once the holder is gone (even by kill -9) the folder opens, with every acknowledged record.
    const acked = Math.max(...[...text.matchAll(/ack (\d+)/g)].map((m) => Number(m[1])));
    const log = PartitionLog.open(path, {}, () => {});
    cleanups.push(() => log.close());
    expect(log.endOffset).toBeGreaterThan(acked);
    expect(log.read(acked, 1, 1)).toEqual([expectedAt(acked)]);
  });

  test("appends made before close are written by close", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const path = join(dir.path, "p");
    const log = PartitionLog.open(path, { fsync: "always" });
    const pending = log.append([recordFor(0), recordFor(1)]);
    await log.close();
    expect(await pending).toEqual({ baseOffset: 0, lastOffset: 1 });
    const again = PartitionLog.open(path, {});
    expect(again.read(0, 10, 100_000)).toEqual([expectedAt(0), expectedAt(1)]);
    await again.close();
  });

  test("deletePartitionLog closes the log and removes its folder", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const log = PartitionLog.open(join(dir.path, "p"), {});
    await log.append([recordFor(0)]);
    await deletePartitionLog(log);
    expect(existsSync(join(dir.path, "p"))).toBe(false);
    expect(await codeOf(() => log.read(0, 1, 1))).toBe("STORAGE_ERROR");
  });
});

describe("PartitionLog appendAt (a follower copying its leader)", () => {
  test("appends only at exactly the log end offset, keeping the offsets given", async () => {
    const log = openLog();
    expect(await codeOf(() => log.appendAt(1, [recordFor(1)]))).toBe("OFFSET_OUT_OF_RANGE");
    expect(await log.appendAt(0, [recordFor(0), recordFor(1), recordFor(2)])).toEqual({ baseOffset: 0, lastOffset: 2 });
    expect(await codeOf(() => log.appendAt(2, [recordFor(2)]))).toBe("OFFSET_OUT_OF_RANGE");
    expect(await codeOf(() => log.appendAt(4, [recordFor(4)]))).toBe("OFFSET_OUT_OF_RANGE");
    expect(await codeOf(() => log.appendAt(-1, [recordFor(0)]))).toBe("INVALID_OFFSET");
    expect(await codeOf(() => log.appendAt(3, []))).toBe("INVALID_REQUEST");
    expect(log.logEndOffset).toBe(3);
    // Records read from a leader carry their offsets: they must be the ones they land at.
    const fromLeader = [expectedAt(3), expectedAt(4)];
    expect(await log.appendAt(3, fromLeader)).toEqual({ baseOffset: 3, lastOffset: 4 });
    expect(await codeOf(() => log.appendAt(5, [expectedAt(6)]))).toBe("INVALID_REQUEST");
    expect(log.read(0, 100, 1e9)).toEqual(Array.from({ length: 5 }, (_, o) => expectedAt(o)));
  });

  test("calls of one turn are coalesced, counting the appends not yet written, and normal appends continue after", async () => {
    const log = openLog({ segmentBytes: 900 });
    await appendRange(log, 0, 10);
    const results = await Promise.all([
      log.appendAt(10, [recordFor(10), recordFor(11)]),
      log.appendAt(12, [recordFor(12)]),
      log.appendAt(13, [recordFor(13), recordFor(14), recordFor(15)]),
    ]);
    expect(results).toEqual([
      { baseOffset: 10, lastOffset: 11 },
      { baseOffset: 12, lastOffset: 12 },
      { baseOffset: 13, lastOffset: 15 },
    ]);
    const mixed = await Promise.all([log.append([recordFor(16)]), log.appendAt(17, [recordFor(17)])]);
    expect(mixed).toEqual([
      { baseOffset: 16, lastOffset: 16 },
      { baseOffset: 17, lastOffset: 17 },
    ]);
    expect(await log.append([recordFor(18), recordFor(19)])).toEqual({ baseOffset: 18, lastOffset: 19 });
    expect(log.read(0, 100, 1e9)).toEqual(Array.from({ length: 20 }, (_, o) => expectedAt(o)));
  });

  test("records appended at an offset survive a reopen byte for byte", async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const path = join(dir.path, "p");
    const log = PartitionLog.open(path, { fsync: "always", segmentBytes: 600 });
    for (let o = 0; o < 40; o += 3) await log.appendAt(o, Array.from({ length: Math.min(3, 40 - o) }, (_, i) => expectedAt(o + i)));
    await log.close();
    const again = PartitionLog.open(path, {});
    cleanups.push(() => again.close());
    expect(again.logEndOffset).toBe(40);
    expect(again.read(0, 100, 1e9)).toEqual(Array.from({ length: 40 }, (_, o) => expectedAt(o)));
  });
});
