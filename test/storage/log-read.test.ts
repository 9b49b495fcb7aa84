import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { readRange, type ReadSource, segmentPosition } from "../../src/storage/log-read.ts";
import { OffsetIndex } from "../../src/storage/offset-index.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { listSegmentBases, Segment, segmentFileName } from "../../src/storage/segment.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/**
 * A partition folder written by a real PartitionLog (small segments, so reads cross
 * them), then opened as readRange sees it: its segments and its offset index.
 */
async function writeLog(records: number): Promise<string> {
  const tmp = tempDir("streamnest-log-read-");
  cleanups.push(tmp.remove);
  const dir = join(tmp.path, "demo-0");
  const log = PartitionLog.open(dir, { fsync: "never", segmentBytes: 1024 }, () => {});
  for (let o = 0; o < records; o += 5) await log.append(Array.from({ length: Math.min(5, records - o) }, (_, i) => recordFor(o + i)));
  await log.close();
  return dir;
}

async function writtenLog(records: number): Promise<{ source: ReadSource; warnings: string[] }> {
  return openSource(await writeLog(records));
}

function openSource(dir: string): { source: ReadSource; warnings: string[] } {
  const segments = listSegmentBases(dir).map((base) => Segment.open(dir, base));
  const index = new OffsetIndex(join(dir, "index.sqlite"));
  cleanups.push(() => index.close(), () => segments.forEach((s) => s.close()));
  const warnings: string[] = [];
  return { source: { dir, segments, index, warn: (m) => warnings.push(m) }, warnings };
}

const offsets = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

function corruptOffsetOf(action: () => unknown): number | string {
  try {
    action();
  } catch (error) {
    if (error instanceof StreamNestError && error.code === "CORRUPT_RECORD") return (error.details as { offset: number }).offset;
    throw error;
  }
  return "no error";
}

describe("segmentPosition", () => {
  test("finds a segment by its base offset, or -1", async () => {
    const { source } = await writtenLog(60);
    const bases = source.segments.map((s) => s.baseOffset);
    expect(bases.length).toBeGreaterThan(3);
    bases.forEach((base, i) => expect(segmentPosition(source.segments, base)).toBe(i));
    expect(segmentPosition(source.segments, bases[1] + 1)).toBe(-1);
    expect(segmentPosition(source.segments, bases.at(-1)! + 1000)).toBe(-1);
    expect(segmentPosition([], 0)).toBe(-1);
  });
});

describe("readRange", () => {
  test("reads across segments up to the bound, whole records only", async () => {
    const { source } = await writtenLog(60);
    expect(readRange(source, 0, 60, 1000, 1 << 20)).toEqual(offsets(0, 60).map(expectedAt));
    // From the middle of a segment, stopping at a bound inside a later one.
    expect(readRange(source, 7, 41, 1000, 1 << 20).map((r) => r.offset)).toEqual(offsets(7, 41));
    expect(readRange(source, 59, 60, 1000, 1 << 20)).toEqual([expectedAt(59)]);
  });

  test("stops at the record budget and the byte budget", async () => {
    const { source } = await writtenLog(60);
    expect(readRange(source, 3, 60, 4, 1 << 20).map((r) => r.offset)).toEqual([3, 4, 5, 6]);
    // A byte budget smaller than one record still returns that record (the read makes progress).
    expect(readRange(source, 10, 60, 1000, 1).map((r) => r.offset)).toEqual([10]);
  });

  test("an offset the index lacks is a corrupt record, reported once", async () => {
    const { source, warnings } = await writtenLog(10);
    expect(corruptOffsetOf(() => readRange(source, 10, 11, 10, 1 << 20))).toBe(10);
    expect(warnings).toEqual([`record at offset 10 of ${source.dir} is unreadable (corrupt data in its segment)`]);
  });

  test("a segment the index points into that is gone: an error before any record, the records before it after", async () => {
    const dir = await writeLog(60);
    const bases = listSegmentBases(dir);
    const second = bases[1];
    rmSync(join(dir, segmentFileName(second)));
    const { source, warnings } = openSource(dir);
    expect(corruptOffsetOf(() => readRange(source, second, 60, 1000, 1 << 20))).toBe(second);
    expect(warnings[0]).toStartWith(`corrupt record at offset ${second} of ${dir} (segment ${second}, position 0): segment ${second} is missing`);
    // Read from before the gap: the records up to it, then "offsets from … are missing".
    expect(readRange(source, 0, 60, 1000, 1 << 20).map((r) => r.offset)).toEqual(offsets(0, second));
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toEndWith(`: offsets from ${second} are missing`);
  });
});
