import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { segmentsToDelete } from "../../src/storage/retention.ts";
import type { LogOptions, RecordInput } from "../../src/storage/types.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openLog(options: Partial<LogOptions>, path?: string): PartitionLog {
  let dir = path;
  if (dir === undefined) {
    const tmp = tempDir("streamnest-retention-");
    cleanups.push(tmp.remove);
    dir = join(tmp.path, "p");
  }
  const log = PartitionLog.open(dir, { fsync: "never", ...options });
  cleanups.push(() => log.close());
  return log;
}

function segmentBases(log: PartitionLog): number[] {
  return readdirSync(log.dir)
    .filter((n) => n.endsWith(".log"))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
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

const candidate = (sizeBytes: number, newest: number | null) => ({ sizeBytes, newestTimestamp: () => newest });

describe("segmentsToDelete", () => {
  test("by bytes: the oldest go while the total is over the limit, never the active one", () => {
    const segs = [candidate(100, 1), candidate(100, 2), candidate(100, 3), candidate(50, 4)];
    expect(segmentsToDelete(segs, { retentionBytes: 350 }, 0)).toBe(0);
    expect(segmentsToDelete(segs, { retentionBytes: 349 }, 0)).toBe(1);
    expect(segmentsToDelete(segs, { retentionBytes: 150 }, 0)).toBe(2);
    expect(segmentsToDelete(segs, { retentionBytes: 0 }, 0)).toBe(3);
  });

  test("by age: segments whose newest record is older than the limit, up to the first young one", () => {
    const segs = [candidate(1, 100), candidate(1, 500), candidate(1, 200), candidate(1, 100)];
    expect(segmentsToDelete(segs, { retentionMs: 1000 }, 1050)).toBe(0);
    expect(segmentsToDelete(segs, { retentionMs: 1000 }, 1101)).toBe(1);
    // The second segment is young, so the old third one waits: the kept log stays contiguous.
    expect(segmentsToDelete(segs, { retentionMs: 1000 }, 1300)).toBe(1);
    expect(segmentsToDelete(segs, { retentionMs: 1000 }, 1501)).toBe(3);
  });

  test("no limits delete nothing", () => {
    expect(segmentsToDelete([candidate(1e9, 0), candidate(1, 0)], {}, 1e15)).toBe(0);
  });
});

describe("PartitionLog retention", () => {
  test("by bytes: old segments and their index rows go, the start offset moves, reads below it fail", async () => {
    const log = openLog({ segmentBytes: 1000, retentionBytes: 3000 });
    for (let o = 0; o < 200; o += 4) await log.append([0, 1, 2, 3].map((i) => recordFor(o + i)));
    const before = segmentBases(log);
    expect(log.sizeBytes).toBeGreaterThan(3000);
    const deleted = log.enforceRetention();
    const after = segmentBases(log);
    expect(deleted).toBe(before.length - after.length);
    expect(deleted).toBeGreaterThan(0);
    expect(after).toEqual(before.slice(deleted));
    expect(log.sizeBytes).toBeLessThanOrEqual(3000);
    expect(log.startOffset).toBe(after[0]);
    expect(log.endOffset).toBe(200);
    expect(codeOf(() => log.read(after[0] - 1, 1, 1000))).toBe("OFFSET_OUT_OF_RANGE");
    expect(codeOf(() => log.read(0, 1, 1000))).toBe("OFFSET_OUT_OF_RANGE");
    expect(log.read(log.startOffset, 1000, 1e9)).toEqual(
      Array.from({ length: 200 - after[0] }, (_, i) => expectedAt(after[0] + i)),
    );
    expect(log.enforceRetention()).toBe(0);
  });

  test("by age: segments whose newest record is too old go; the active one always stays", async () => {
    const now = 10_000_000;
    const hour = 3_600_000;
    const log = openLog({ segmentBytes: 600, retentionMs: hour });
    const at = (offset: number, timestamp: number): RecordInput => ({ ...recordFor(offset), timestamp });
    for (let o = 0; o < 40; o++) await log.append([at(o, now - 3 * hour)]);
    const oldEnd = log.endOffset;
    for (let o = 40; o < 60; o++) await log.append([at(o, now - 60_000)]);
    const bases = segmentBases(log);
    const deleted = log.enforceRetention(now);
    expect(deleted).toBeGreaterThan(0);
    // Every deleted segment held only old records; the first kept one holds a young one.
    const kept = segmentBases(log);
    expect(kept).toEqual(bases.slice(deleted));
    // The first kept segment is the one holding the first young record (offset 40).
    expect(kept[0]).toBeLessThanOrEqual(oldEnd);
    expect(kept.length === 1 || kept[1] > oldEnd).toBe(true);
    expect(bases[deleted]).toBe(log.startOffset);
    expect(log.read(log.startOffset, 1000, 1e9).at(-1)?.offset).toBe(59);

    // Far in the future everything is old, yet the active segment stays.
    log.enforceRetention(now + 100 * hour);
    expect(segmentBases(log)).toEqual([kept[kept.length - 1]]);
    expect(log.startOffset).toBe(kept[kept.length - 1]);
    expect(log.endOffset).toBe(60);
    await log.append([at(60, now)]);
    expect(log.read(60, 1, 1)[0].offset).toBe(60);
  });

  test("retention survives reopen, and a crash between file and index removal is finished on open", async () => {
    const tmp = tempDir("streamnest-retention-");
    cleanups.push(tmp.remove);
    const path = join(tmp.path, "p");
    const first = PartitionLog.open(path, { fsync: "never", segmentBytes: 800, retentionBytes: 2000 });
    for (let o = 0; o < 100; o += 2) await first.append([recordFor(o), recordFor(o + 1)]);
    first.enforceRetention();
    const start = first.startOffset;
    await first.close();

    const second = openLog({ segmentBytes: 800 }, path);
    expect(second.startOffset).toBe(start);
    expect(second.read(start, 1, 1)).toEqual([expectedAt(start)]);
    const bases = segmentBases(second);
    await second.close();

    // The segment file is gone but its index rows are still there, as after a crash.
    rmSync(join(path, `${String(bases[0]).padStart(20, "0")}.log`));
    const third = openLog({ segmentBytes: 800 }, path);
    expect(third.startOffset).toBe(bases[1]);
    expect(codeOf(() => third.read(bases[0], 1, 1))).toBe("OFFSET_OUT_OF_RANGE");
    expect(third.read(bases[1], 1000, 1e9)).toEqual(
      Array.from({ length: 100 - bases[1] }, (_, i) => expectedAt(bases[1] + i)),
    );
  });
});
