import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { encodeRecords, sizeRecord } from "../../src/storage/record-codec.ts";
import { READ_CHUNK_BYTES } from "../../src/storage/segment-reader.ts";
import { segmentFileName } from "../../src/storage/segment.ts";
import type { LogOptions, RecordInput, StoredRecord } from "../../src/storage/types.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function workDir(): string {
  const dir = tempDir("streamnest-reader-");
  cleanups.push(dir.remove);
  return dir.path;
}

function open(path: string, options: Partial<LogOptions> = {}, warnings: string[] = []): PartitionLog {
  const log = PartitionLog.open(path, { fsync: "never", ...options }, (m) => warnings.push(m));
  cleanups.push(() => log.close());
  return log;
}

async function fill(log: PartitionLog, from: number, to: number, batch = 7): Promise<void> {
  for (let o = from; o < to; o += batch) {
    const records: RecordInput[] = [];
    for (let i = o; i < Math.min(to, o + batch); i++) records.push(recordFor(i));
    expect((await log.append(records)).baseOffset).toBe(o);
  }
}

const frame = (o: number): number => sizeRecord(recordFor(o)).frameBytes;
const range = (from: number, to: number): StoredRecord[] => Array.from({ length: to - from }, (_, i) => expectedAt(from + i));
const offsets = (records: StoredRecord[]): number[] => records.map((r) => r.offset);

function segmentBases(path: string): number[] {
  return readdirSync(path)
    .filter((n) => n.endsWith(".log"))
    .sort()
    .map((n) => Number(n.slice(0, 20)));
}

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof StreamNestError) return error.code;
    throw error;
  }
  return "no error";
}

describe("reads across segment boundaries", () => {
  test("every start offset and every length up to 40 records returns exactly those records", async () => {
    const path = workDir();
    const log = open(path, { segmentBytes: 1500 });
    await fill(log, 0, 150);
    const bases = segmentBases(path);
    expect(bases.length).toBeGreaterThan(10);
    for (let start = 0; start < 150; start++) {
      for (const count of [1, 2, 3, 17, 40]) {
        expect(log.read(start, count, 1_000_000)).toEqual(range(start, Math.min(150, start + count)));
      }
    }
  });

  test("a read starting at the last record of a segment continues at the next segment's base", async () => {
    const path = workDir();
    const log = open(path, { segmentBytes: 1500 });
    await fill(log, 0, 100);
    const bases = segmentBases(path);
    for (let i = 1; i < bases.length; i++) {
      expect(offsets(log.read(bases[i] - 1, 2, 1_000_000))).toEqual([bases[i] - 1, bases[i]]);
    }
  });

  test("the byte budget counts frames across segments and cuts where it runs out", async () => {
    const path = workDir();
    const log = open(path, { segmentBytes: 1500 });
    await fill(log, 0, 100);
    const [, second, third] = segmentBases(path);
    // From two records before the second segment to three records into the third.
    const start = second - 2;
    const stop = third + 3;
    let budget = 0;
    for (let o = start; o < stop; o++) budget += frame(o);
    expect(log.read(start, 1000, budget)).toEqual(range(start, stop));
    expect(log.read(start, 1000, budget - 1)).toEqual(range(start, stop - 1));
    expect(log.read(start, 1000, budget + frame(stop) - 1)).toEqual(range(start, stop));
  });
});

describe("the byte budget inside one segment", () => {
  test("a cut in the middle of a segment stops before the record that would exceed it", async () => {
    const path = workDir();
    const log = open(path);
    await fill(log, 0, 300);
    expect(log.segmentCount).toBe(1);
    for (const start of [0, 1, 57, 123, 290]) {
      let budget = 0;
      for (let n = 1; start + n <= 300 && n <= 12; n++) {
        budget += frame(start + n - 1);
        expect(offsets(log.read(start, 1000, budget))).toEqual(offsets(range(start, start + n)));
        if (start + n < 300) expect(offsets(log.read(start, 1000, budget + frame(start + n) - 1))).toEqual(offsets(range(start, start + n)));
      }
    }
  });

  test("records much larger and much smaller than the first one are read whole (the read-ahead is only a guess)", async () => {
    const path = workDir();
    const log = open(path);
    const sizes = [10, 5000, 3, 70_000, 1, 0, 200_000, 12, 9000, 40];
    const records: RecordInput[] = sizes.map((n, i) => ({
      key: i % 2 === 0 ? null : Uint8Array.of(i),
      value: new Uint8Array(n).map((_, j) => (i * 31 + j) & 0xff),
      headers: [],
      timestamp: i,
    }));
    await log.append(records);
    for (let start = 0; start < sizes.length; start++) {
      expect(log.read(start, 100, 10_000_000)).toEqual(records.slice(start).map((r, i) => ({ ...r, offset: start + i })));
      expect(log.read(start, 1, 1)).toEqual([{ ...records[start], offset: start }]);
    }
  });

  test("a read of more than one read-ahead chunk spans several preads and returns every record", async () => {
    const path = workDir();
    const log = open(path);
    const value = new Uint8Array(20_000).map((_, j) => j & 0xff);
    const count = Math.ceil((3 * READ_CHUNK_BYTES) / value.length) + 5;
    const records: RecordInput[] = Array.from({ length: count }, (_, i) => ({ key: null, value, headers: [], timestamp: i }));
    await log.append(records);
    const all = log.read(0, Infinity, Infinity);
    expect(all).toHaveLength(count);
    all.forEach((r, i) => {
      expect(r.offset).toBe(i);
      expect(r.timestamp).toBe(i);
      expect(r.value).toEqual(value);
    });
    const budget = 2 * READ_CHUNK_BYTES + 12_345;
    const cut = log.read(3, Infinity, budget);
    expect(cut.length).toBe(Math.floor(budget / sizeRecord(records[0]).frameBytes));
    expect(cut[0].offset).toBe(3);
  });

  test("a record larger than a read-ahead chunk ends the read before it, and the next read starts with it", async () => {
    const path = workDir();
    const log = open(path, { maxRecordBytes: 4 * READ_CHUNK_BYTES });
    const big: RecordInput = { key: null, value: new Uint8Array(READ_CHUNK_BYTES + 100).fill(9), headers: [], timestamp: 1 };
    await log.append([recordFor(0), big, recordFor(2)]);
    expect(log.read(0, 10, 10 * READ_CHUNK_BYTES)).toEqual([expectedAt(0)]);
    expect(log.read(1, 10, 10 * READ_CHUNK_BYTES)).toEqual([{ ...big, offset: 1 }, { ...recordFor(2), offset: 2 }]);
    expect(log.read(1, 10, 1)).toEqual([{ ...big, offset: 1 }]);
  });
});

describe("what a walk trusts", () => {
  test("a stray file where the next segment rolls (left by a failed undo) is emptied before use", async () => {
    const path = workDir();
    const log = open(path, { segmentBytes: 1000 });
    await fill(log, 0, 20);
    const bases = segmentBases(path);
    const active = bases[bases.length - 1];
    // Where the next roll happens, from the frame sizes.
    let size = Bun.file(join(path, segmentFileName(active))).size;
    let rollAt = log.endOffset;
    while (size + frame(rollAt) <= 1000) size += frame(rollAt++);
    // Valid frames with the right offsets but other content: nobody was acknowledged for them.
    const stray = Array.from({ length: 5 }, (_, i): RecordInput => ({ key: null, value: Uint8Array.of(0xee, i), headers: [], timestamp: 7 }));
    writeFileSync(join(path, segmentFileName(rollAt)), encodeRecords(stray, rollAt));
    await fill(log, 20, rollAt + 3);
    expect(segmentBases(path)).toContain(rollAt);
    expect(log.read(0, 1000, 1_000_000)).toEqual(range(0, rollAt + 3));
    expect(log.read(rollAt, 1000, 1_000_000)).toEqual(range(rollAt, rollAt + 3));
  });
});

describe("reads at and into gaps", () => {
  /** 30 records in one segment with record 12's body damaged on disk. */
  async function damaged(keepIndex: boolean): Promise<string> {
    const path = workDir();
    const log = PartitionLog.open(path, { fsync: "never" });
    await fill(log, 0, 30);
    await log.close();
    const file = join(path, segmentFileName(0));
    const bytes = readFileSync(file);
    let position = 0;
    for (let o = 0; o < 12; o++) position += frame(o);
    bytes[position + 30] ^= 0x5a;
    writeFileSync(file, bytes);
    if (!keepIndex) rmSync(join(path, "index.sqlite"));
    return path;
  }

  test("a gap recovery left: a read starting at it fails, reads running into it stop quietly before it", async () => {
    const path = await damaged(false);
    const warnings: string[] = [];
    const log = open(path, {}, warnings);
    expect(log.endOffset).toBe(30);
    expect(warnings.some((w) => w.includes("corrupt record at offset 12"))).toBe(true);
    warnings.length = 0;
    expect(codeOf(() => log.read(12, 1, 1_000_000))).toBe("CORRUPT_RECORD");
    expect(codeOf(() => log.read(12, 100, 1_000_000))).toBe("CORRUPT_RECORD");
    expect(warnings).toHaveLength(2);
    warnings.length = 0;
    // Recovery already reported the gap: a read that merely reaches it does not repeat that.
    expect(log.read(0, 100, 1_000_000)).toEqual(range(0, 12));
    expect(log.read(11, 100, 1_000_000)).toEqual(range(11, 12));
    expect(warnings).toEqual([]);
    expect(log.read(13, 100, 1_000_000)).toEqual(range(13, 30));
  });

  test("damage the index does not know of: the read stops before it and warns, a read starting at it fails", async () => {
    const path = await damaged(true);
    const warnings: string[] = [];
    const log = open(path, {}, warnings);
    // Recovery checks only the tail, so the damaged record is still indexed.
    expect(log.endOffset).toBe(30);
    expect(warnings).toEqual([]);
    expect(log.read(0, 100, 1_000_000)).toEqual(range(0, 12));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("corrupt record at offset 12");
    expect(warnings[0]).toContain("CRC32C mismatch");
    let caught: unknown;
    try {
      log.read(12, 5, 1_000_000);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StreamNestError);
    expect((caught as StreamNestError).code).toBe("CORRUPT_RECORD");
    expect((caught as StreamNestError).details).toEqual({ offset: 12 });
    expect(log.read(13, 100, 1_000_000)).toEqual(range(13, 30));
  });

  test("offsets missing at the end of a middle segment: reads stop at the gap and resume at the next segment", async () => {
    const path = workDir();
    {
      const log = PartitionLog.open(path, { fsync: "never", segmentBytes: 1500 });
      await fill(log, 0, 80);
      await log.close();
    }
    const [, second, third] = segmentBases(path);
    // The second segment loses its last two records exactly at a frame boundary.
    const file = join(path, segmentFileName(second));
    truncateSync(file, Bun.file(file).size - frame(third - 1) - frame(third - 2));
    rmSync(join(path, "index.sqlite"));
    const warnings: string[] = [];
    const log = open(path, { segmentBytes: 1500 }, warnings);
    expect(warnings.some((w) => w.includes(`offsets ${third - 2}..${third - 1} are missing`))).toBe(true);
    warnings.length = 0;
    expect(log.endOffset).toBe(80);
    expect(log.read(second, 1000, 1_000_000)).toEqual(range(second, third - 2));
    expect(log.read(0, 1000, 1_000_000)).toEqual(range(0, third - 2));
    expect(warnings).toEqual([]);
    expect(codeOf(() => log.read(third - 2, 10, 1_000_000))).toBe("CORRUPT_RECORD");
    expect(codeOf(() => log.read(third - 1, 10, 1_000_000))).toBe("CORRUPT_RECORD");
    expect(log.read(third, 1000, 1_000_000)).toEqual(range(third, 80));
  });

  test("single-record reads return each record of a multi-segment log", async () => {
    const path = workDir();
    const log = open(path, { segmentBytes: 900 });
    await fill(log, 0, 120, 11);
    for (let o = 0; o < 120; o++) expect(log.read(o, 1, 1_000_000)).toEqual([expectedAt(o)]);
    expect(log.read(120, 1, 1)).toEqual([]);
    expect(codeOf(() => log.read(121, 1, 1))).toBe("OFFSET_OUT_OF_RANGE");
  });
});
