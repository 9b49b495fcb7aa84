import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { encodeFrames, sizeRecord } from "../../src/storage/record-codec.ts";
import { Segment } from "../../src/storage/segment.ts";
import { TailCache, TailCacheBudget } from "../../src/storage/tail-cache.ts";
import type { LogOptions, RecordInput, StoredRecord } from "../../src/storage/types.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openLog(options: Partial<LogOptions> = {}): { log: PartitionLog; reopen: () => Promise<PartitionLog> } {
  const dir = tempDir();
  const path = join(dir.path, "demo-0");
  const holder = { log: PartitionLog.open(path, { fsync: "never", ...options }, () => {}) };
  cleanups.push(dir.remove, () => holder.log.close());
  return {
    log: holder.log,
    // A log opened again starts with an empty cache: every read of it comes from the files.
    reopen: async () => {
      await holder.log.close();
      holder.log = PartitionLog.open(path, { fsync: "never", ...options }, () => {});
      return holder.log;
    },
  };
}

/** Appends offsets [from, to) in writes of `batch` (each its own coalesced group). */
async function appendRange(log: PartitionLog, from: number, to: number, batch = 10): Promise<void> {
  for (let o = from; o < to; o += batch) {
    const records: RecordInput[] = [];
    for (let i = o; i < Math.min(to, o + batch); i++) records.push(recordFor(i));
    expect((await log.append(records)).baseOffset).toBe(o);
  }
}

const range = (from: number, to: number): StoredRecord[] => Array.from({ length: to - from }, (_, i) => expectedAt(from + i));

/** Frames of recordFor(base..base+count) laid out as one write lays them out. */
function frames(base: number, count: number): Uint8Array {
  const sized = Array.from({ length: count }, (_, i) => sizeRecord(recordFor(base + i)));
  const out = new Uint8Array(sized.reduce((n, s) => n + s.frameBytes, 0));
  expect(encodeFrames(sized, base, out, 0)).toBe(out.byteLength);
  return out;
}

describe("reads from the tail cache", () => {
  test("return the records a read of the files returns, byte for byte, for every budget", async () => {
    const { log, reopen } = openLog();
    await appendRange(log, 0, 200, 7);
    expect(log.cachedRange).toEqual({ start: 0, end: 200 });
    const budgets: [number, number, number][] = [];
    for (const offset of [0, 1, 6, 7, 50, 150, 199])
      for (const maxRecords of [1, 3, 10, 500]) for (const maxBytes of [1, 150, 1000, 1_000_000]) budgets.push([offset, maxRecords, maxBytes]);
    const cached = budgets.map(([o, r, b]) => log.read(o, r, b));
    const again = budgets.map(([o, r, b]) => log.read(o, r, b));
    // A hit decodes views into the written buffer itself: the same memory both times.
    expect(again[0][0].value!.buffer).toBe(cached[0][0].value!.buffer);
    const disk = await reopen();
    expect(disk.cachedRange).toBeNull();
    const fromFiles = budgets.map(([o, r, b]) => disk.read(o, r, b));
    expect(fromFiles[0][0].value!.buffer).not.toBe(disk.read(0, 1, 1)[0].value!.buffer);
    expect(cached).toEqual(fromFiles);
    const at = (o: number, r: number, b: number): number => budgets.findIndex(([x, y, z]) => x === o && y === r && z === b);
    expect(cached[at(0, 3, 1_000_000)]).toEqual(range(0, 3));
    expect(cached[at(6, 10, 1)]).toEqual(range(6, 7));
    expect(disk.read(7, 500, 1_000_000)).toEqual(range(7, 200));
  });

  test("a write that rolls a segment starts the cache over; reads across segments are whole", async () => {
    const { log } = openLog({ segmentBytes: 4096 });
    await appendRange(log, 0, 200, 7);
    expect(log.segmentCount).toBeGreaterThan(3);
    const cached = log.cachedRange;
    if (cached !== null) expect(cached.end).toBe(200);
    expect(log.read(0, 500, 1_000_000)).toEqual(range(0, 200));
    expect(log.read(150, 500, 1_000_000)).toEqual(range(150, 200));
  });

  test("bytes changed on disk before a write is first read are reported, not hidden by the copy in memory", async () => {
    const { log } = openLog();
    await appendRange(log, 0, 10, 10);
    const path = join(log.dir, "00000000000000000000.log");
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from("value 5 "));
    expect(at).toBeGreaterThan(0);
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.from("X"), 0, 1, at);
    closeSync(fd);
    expect(() => log.read(5, 1, 1_000_000)).toThrow("CRC32C mismatch");
    expect(log.cachedRange).toBeNull();
    expect(log.read(0, 5, 1_000_000)).toEqual(range(0, 5));
  });

  test("bytes changed on disk after a write: a follower is shipped the bytes written, a client's read is refused", async () => {
    const { log } = openLog({ highWatermark: "explicit" });
    await appendRange(log, 0, 10, 10);
    const path = join(log.dir, "00000000000000000000.log");
    const written = readFileSync(path);
    const at = written.indexOf(Buffer.from("value 5 "));
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.from("X"), 0, 1, at);
    closeSync(fd);
    // The replica fetch's read does not read the file back: the frames in memory passed
    // their CRCs, and they are what was written (a follower's copy is then the good one).
    const shipped = log.readFrameChunk(0, 1 << 20);
    expect({ first: shipped.firstOffset, count: shipped.count }).toEqual({ first: 0, count: 10 });
    expect(Buffer.compare(shipped.bytes, written)).toBe(0);
    log.setHighWatermark(10);
    expect(() => log.read(5, 1, 1_000_000)).toThrow("CRC32C mismatch");
    expect(log.cachedRange).toBeNull();
  });

  test("a log opened again caches what it writes from then on; older offsets come from the files", async () => {
    const { log, reopen } = openLog();
    await appendRange(log, 0, 30);
    const again = await reopen();
    await appendRange(again, 30, 40);
    expect(again.cachedRange).toEqual({ start: 30, end: 40 });
    expect(again.read(25, 10, 1_000_000)).toEqual(range(25, 35));
    expect(again.read(35, 10, 1_000_000)).toEqual(range(35, 40));
  });

  test("stop at the high watermark: a record written but not committed is not served", async () => {
    const { log } = openLog({ highWatermark: "explicit" });
    await appendRange(log, 0, 20);
    expect(log.cachedRange).toEqual({ start: 0, end: 20 });
    expect(log.read(0, 100, 1_000_000)).toEqual([]);
    log.setHighWatermark(12);
    expect(log.read(5, 100, 1_000_000)).toEqual(range(5, 12));
    expect(log.read(12, 100, 1_000_000)).toEqual([]);
    expect(log.read(12, 100, 1_000_000, { upTo: "log-end" })).toEqual(range(12, 20));
  });

  test("truncateTo drops the cached tail: records written after it are read, never the old ones", async () => {
    const { log, reopen } = openLog();
    await appendRange(log, 0, 60, 9);
    log.truncateTo(40);
    expect(log.cachedRange).toEqual({ start: 0, end: 40 });
    expect(log.read(35, 100, 1_000_000)).toEqual(range(35, 40));
    const replaced: RecordInput = { key: null, value: new TextEncoder().encode("after the truncation"), headers: [], timestamp: 7 };
    expect((await log.append([replaced, replaced])).baseOffset).toBe(40);
    expect(log.cachedRange).toEqual({ start: 0, end: 42 });
    const expected = [...range(38, 40), { ...replaced, offset: 40 }, { ...replaced, offset: 41 }];
    expect(log.read(38, 100, 1_000_000)).toEqual(expected);
    // Inside one write: the part kept still reads.
    log.truncateTo(41);
    expect(log.cachedRange).toEqual({ start: 0, end: 41 });
    expect(log.read(40, 100, 1_000_000)).toEqual([{ ...replaced, offset: 40 }]);
    expect((await reopen()).read(38, 100, 1_000_000)).toEqual(expected.slice(0, 3));
  });

  test("truncateFullyAndStartAt empties the cache", async () => {
    const { log } = openLog();
    await appendRange(log, 0, 20);
    log.truncateFullyAndStartAt(100);
    expect(log.cachedRange).toBeNull();
    expect(log.read(100, 10, 1_000_000)).toEqual([]);
    await appendRange(log, 100, 103);
    expect(log.read(100, 10, 1_000_000)).toEqual(range(100, 103));
  });

  test("retention drops what it deleted; reads below the new start are out of range", async () => {
    const { log } = openLog({ segmentBytes: 1000, retentionBytes: 3000 });
    await appendRange(log, 0, 80, 4);
    expect(log.enforceRetention()).toBeGreaterThan(0);
    const start = log.startOffset;
    expect(start).toBeGreaterThan(0);
    const cached = log.cachedRange;
    if (cached !== null) expect(cached.start + 4).toBeGreaterThan(start);
    expect(() => log.read(start - 1, 1, 1_000_000)).toThrow("outside the partition's range");
    expect(log.read(start, 100, 1_000_000)).toEqual(range(start, 80));
  });
});

/** Writes frames of recordFor(base..) to `segment` and hands them to `cache`, as a log's write does. */
function write(cache: TailCache, segment: Segment, base: number, count: number): Uint8Array {
  const bytes = frames(base, count);
  const position = segment.size;
  segment.append(bytes);
  cache.append(base, bytes, segment, position);
  return bytes;
}

function segmentIn(): Segment {
  const dir = tempDir();
  const segment = Segment.open(dir.path, 0);
  cleanups.push(dir.remove, () => segment.close());
  return segment;
}

describe("TailCache", () => {
  test("holds at most its bytes: the oldest writes go first, and it stays contiguous to the end", () => {
    const seg = segmentIn();
    const budget = new TailCacheBudget(1_000_000);
    const cache = new TailCache(2000, budget);
    for (let base = 0; base < 100; base += 5) {
      write(cache, seg, base, 5);
      expect(cache.sizeBytes).toBeLessThanOrEqual(2000);
      expect(budget.used).toBe(cache.sizeBytes);
    }
    const start = cache.startOffset ?? -1;
    expect(start).toBeGreaterThan(0);
    expect(cache.endOffset).toBe(100);
    expect(cache.read(start - 1, 0 + 10, 10, 1_000_000)).toBeUndefined();
    expect(cache.read(start, 100, 1000, 1_000_000)).toEqual(range(start, 100));
  });

  test("every cache of a process together stays within the shared budget, the oldest chunk of any going first", () => {
    // One byte short of three writes: the third pushes the first out.
    const limit = 2 * frames(0, 5).byteLength + frames(5, 5).byteLength + 3 * 160 - 1;
    const seg = segmentIn();
    const budget = new TailCacheBudget(limit);
    const a = new TailCache(limit, budget);
    const b = new TailCache(limit, budget);
    write(a, seg, 0, 5);
    write(b, seg, 0, 5);
    write(a, seg, 5, 5);
    expect(budget.used).toBeLessThanOrEqual(limit);
    expect(budget.used).toBe(a.sizeBytes + b.sizeBytes);
    expect(b.startOffset).toBe(0);
    // a's first write was the oldest in the process.
    expect(a.startOffset).toBe(5);
    for (let base = 5; base < 60; base += 5) write(b, seg, base, 5);
    expect(budget.used).toBeLessThanOrEqual(limit);
    expect(budget.used).toBe(a.sizeBytes + b.sizeBytes);
    expect(b.endOffset).toBe(60);
    expect(a.startOffset).toBeNull();
    a.clear();
    b.clear();
    expect(budget.used).toBe(0);
  });

  test("a write larger than the cache empties it; a write not at its end starts it over", () => {
    const seg = segmentIn();
    const budget = new TailCacheBudget(1_000_000);
    const cache = new TailCache(1500, budget);
    write(cache, seg, 0, 3);
    write(cache, seg, 3, 40);
    expect(cache.startOffset).toBeNull();
    expect(cache.read(3, 100, 10, 1_000_000)).toBeUndefined();
    write(cache, seg, 43, 2);
    write(cache, seg, 50, 2);
    expect([cache.startOffset, cache.endOffset]).toEqual([50, 52]);
    expect(budget.used).toBe(cache.sizeBytes);
  });

  test("a frame whose bytes changed in memory fails its CRC: not served, and the cache is emptied", () => {
    const cache = new TailCache(100_000, new TailCacheBudget(1_000_000));
    const bytes = write(cache, segmentIn(), 0, 10);
    expect(cache.read(0, 10, 10, 1_000_000)).toEqual(range(0, 10));
    bytes[bytes.length - 3] ^= 0xff;
    expect(cache.read(0, 10, 10, 1_000_000)).toBeUndefined();
    expect(cache.startOffset).toBeNull();
  });

  test("bytes that are not whole frames are not cached, and a cache holding some is emptied", () => {
    const cache = new TailCache(100_000, new TailCacheBudget(1_000_000));
    const seg = segmentIn();
    const bytes = frames(0, 3).subarray(0, 50);
    seg.append(bytes);
    cache.append(0, bytes, seg, 0);
    expect(cache.startOffset).toBeNull();
    // Whole frames with one byte after them: the lengths run past the end.
    const other = segmentIn();
    write(cache, other, 0, 3);
    expect([cache.startOffset, cache.endOffset]).toEqual([0, 3]);
    const whole = frames(3, 2);
    cache.append(3, Uint8Array.of(...whole, 0), other, other.size);
    expect(cache.startOffset).toBeNull();
    expect(cache.read(0, 10, 10, 1_000_000)).toBeUndefined();
    // Whole frames are held again, each at its own offset.
    write(cache, other, 3, 2);
    expect(cache.read(3, 10, 10, 1_000_000)).toEqual(range(3, 5));
    expect(cache.read(4, 10, 10, 1_000_000)).toEqual(range(4, 5));
  });
});
