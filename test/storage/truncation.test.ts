import { afterEach, describe, expect, test } from "bun:test";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { HIGH_WATERMARK_FILE } from "../../src/storage/high-watermark.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { OffsetIndex } from "../../src/storage/offset-index.ts";
import { listSegmentBases, segmentFileName } from "../../src/storage/segment.ts";
import { TRUNCATION_FILE, writeTruncationIntent } from "../../src/storage/truncation.ts";
import type { LogOptions } from "../../src/storage/types.ts";
import { liveMappings } from "../../src/storage/file-mapping.ts";
import { epochOf, expectedAt, recordFor, recordInEpoch, tempDir } from "./fixtures/records.ts";
import { verifyLogFiles } from "./fixtures/verify-log.ts";

const SEGMENT_BYTES = 700;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function workDir(): string {
  const dir = tempDir("streamnest-truncate-");
  cleanups.push(dir.remove);
  return dir.path;
}

function open(path: string, options: Partial<LogOptions> = {}, warnings: string[] = []): PartitionLog {
  return PartitionLog.open(path, { fsync: "never", segmentBytes: SEGMENT_BYTES, ...options }, (m) => warnings.push(m));
}

async function fill(log: PartitionLog, from: number, to: number, batch = 3): Promise<void> {
  for (let o = from; o < to; o += batch) {
    const result = await log.append(Array.from({ length: Math.min(batch, to - o) }, (_, i) => recordFor(o + i)));
    expect(result.baseOffset).toBe(o);
  }
}

const range = (from: number, to: number): ReturnType<typeof expectedAt>[] =>
  Array.from({ length: to - from }, (_, i) => expectedAt(from + i));

/** The segment files of a folder, name -> bytes. */
function segmentFiles(path: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(path).filter((n) => n.endsWith(".log")).sort()) {
    files.set(name, Buffer.from(readFileSync(join(path, name))).toString("hex"));
  }
  return files;
}

/** A log of records [0, count) written straight, without any truncation: the reference. */
async function straight(root: string, count: number): Promise<Map<string, string>> {
  const path = join(root, `straight-${count}`);
  const log = open(path);
  await fill(log, 0, count, 7);
  await log.close();
  return segmentFiles(path);
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

describe("truncateTo", () => {
  // Offsets chosen against the segment layout of recordFor at 700-byte segments.
  const cases: { name: string; to: (bases: number[]) => number }[] = [
    { name: "within the last segment", to: (bases) => bases[bases.length - 1] + 1 },
    { name: "across segment boundaries, inside an earlier segment", to: (bases) => bases[2] + 2 },
    { name: "at a segment's base offset", to: (bases) => bases[3] },
    { name: "to the start of the log", to: () => 0 },
  ];
  for (const { name, to } of cases) {
    test(`${name}: the tail goes, index and files agree, appends continue byte for byte, and a reopen keeps it`, async () => {
      const root = workDir();
      const path = join(root, "demo-0");
      const log = open(path);
      await fill(log, 0, 80);
      const bases = listSegmentBases(path);
      expect(bases.length).toBeGreaterThan(5);
      const target = to(bases);
      expect(target).toBeLessThan(bases[bases.length - 1] + 2);

      log.truncateTo(target);
      expect([log.logEndOffset, log.highWatermark, log.startOffset]).toEqual([target, target, 0]);
      expect(log.read(0, 1000, 1e9)).toEqual(range(0, target));
      expect(await codeOf(() => log.read(target + 1, 1, 1e9))).toBe("OFFSET_OUT_OF_RANGE");
      expect(existsSync(join(path, TRUNCATION_FILE))).toBe(false);
      // Every segment above the one holding the new end is gone.
      const holder = bases.filter((b) => b <= target).pop() ?? 0;
      expect(readdirSync(path).filter((n) => n.endsWith(".log")).sort()).toEqual(
        bases.filter((b) => b <= holder).map(segmentFileName),
      );

      await fill(log, target, 100, 5);
      expect(log.read(0, 1000, 1e9)).toEqual(range(0, 100));
      for (const o of [0, target, 99]) expect(log.read(o, 1, 1e9)).toEqual([expectedAt(o)]);
      await log.close();
      expect(verifyLogFiles(path).records).toEqual(range(0, 100));
      // The same bytes, in the same segments, as a log that never had the tail.
      expect(segmentFiles(path)).toEqual(await straight(root, 100));

      const warnings: string[] = [];
      const again = open(path, {}, warnings);
      expect(warnings).toEqual([]);
      expect(again.logEndOffset).toBe(100);
      expect(again.read(0, 1000, 1e9)).toEqual(range(0, 100));
      await again.close();
    });
  }

  test("into rolled segments that reads had mapped: the new records, not the old bytes, are read at the same offsets", async () => {
    const path = join(workDir(), "demo-0");
    const log = open(path);
    cleanups.push(() => log.close());
    for (let o = 0; o < 80; o++) await log.append([recordInEpoch(o, 1)]);
    const bases = listSegmentBases(path);
    const before = liveMappings();
    // Reads of every offset map each rolled segment (storage/file-mapping.ts).
    for (let o = 0; o < 80; o++) expect(epochOf(log.read(o, 1, 1e9)[0])).toBe(1);
    expect(liveMappings()).toBe(before + bases.length - 1);
    // The new end lies inside the third segment: it and the two before stay, the rest go.
    const target = bases[2] + 1;
    expect(bases[3]).toBeGreaterThan(target);
    log.truncateTo(target);
    expect(liveMappings()).toBe(before + 2);
    // A diverged follower's next records: the same offsets, other bytes (another epoch).
    for (let o = target; o < 80; o++) await log.append([recordInEpoch(o, 2)]);
    for (let o = 0; o < 80; o++) {
      const [record] = log.read(o, 1, 1e9);
      expect(record.offset).toBe(o);
      expect(epochOf(record)).toBe(o < target ? 1 : 2);
      expect(record.value).toEqual(recordFor(o).value);
    }
    expect(log.read(0, 1000, 1e9).map(epochOf)).toEqual(Array.from({ length: 80 }, (_, o) => (o < target ? 1 : 2)));
  });

  test("with mappedReads false, reads of rolled segments map nothing", async () => {
    const path = join(workDir(), "demo-0");
    const log = open(path, { mappedReads: false });
    cleanups.push(() => log.close());
    await fill(log, 0, 40);
    expect(listSegmentBases(path).length).toBeGreaterThan(3);
    const before = liveMappings();
    expect(log.read(0, 1000, 1e9)).toEqual(range(0, 40));
    for (let o = 0; o < 40; o += 3) expect(log.read(o, 1, 1e9)).toEqual([expectedAt(o)]);
    expect(liveMappings()).toBe(before);
  });

  test("the log end offset itself changes nothing; outside [start, end] is refused", async () => {
    const path = join(workDir(), "demo-0");
    const log = open(path, { retentionBytes: 1 });
    cleanups.push(() => log.close());
    await fill(log, 0, 60);
    log.enforceRetention();
    const start = log.startOffset;
    expect(start).toBeGreaterThan(0);
    const before = segmentFiles(path);
    log.truncateTo(60);
    expect(segmentFiles(path)).toEqual(before);
    expect(await codeOf(() => log.truncateTo(61))).toBe("OFFSET_OUT_OF_RANGE");
    expect(await codeOf(() => log.truncateTo(start - 1))).toBe("OFFSET_OUT_OF_RANGE");
    expect(await codeOf(() => log.truncateTo(-1))).toBe("INVALID_OFFSET");
    expect(await codeOf(() => log.truncateTo(Number.NaN))).toBe("INVALID_OFFSET");
    expect(log.logEndOffset).toBe(60);
    log.truncateTo(start);
    expect([log.startOffset, log.logEndOffset]).toEqual([start, start]);
    expect(log.read(start, 10, 1e9)).toEqual([]);
    await fill(log, start, start + 4);
    expect(log.read(start, 10, 1e9)).toEqual(range(start, start + 4));
  });

  test("appends not yet written are written first, then cut with the rest", async () => {
    const path = join(workDir(), "demo-0");
    const log = open(path);
    cleanups.push(() => log.close());
    await fill(log, 0, 10);
    const pending = log.append([recordFor(10), recordFor(11), recordFor(12)]);
    log.truncateTo(11);
    expect(await pending).toEqual({ baseOffset: 10, lastOffset: 12 });
    expect(log.logEndOffset).toBe(11);
    expect((await log.append([recordFor(11)])).baseOffset).toBe(11);
    expect(log.read(0, 100, 1e9)).toEqual(range(0, 12));
  });

  test("fsync always: a truncation while a group waits for its flush; listeners never hear of an end past the log's", async () => {
    const path = join(workDir(), "demo-0");
    const log = open(path, { fsync: "always" });
    cleanups.push(() => log.close());
    await fill(log, 0, 10);
    const ends: number[] = [];
    const marks: number[] = [];
    log.onAppend((end) => ends.push(end));
    log.onHighWatermark((hw) => marks.push(hw));
    const pending = log.append([recordFor(10), recordFor(11), recordFor(12)]);
    log.truncateTo(8);
    expect(await pending).toEqual({ baseOffset: 10, lastOffset: 12 });
    expect(ends.every((e) => e <= 8) && marks.every((m) => m <= 8)).toBe(true);
    expect([log.logEndOffset, log.highWatermark]).toEqual([8, 8]);
    expect((await log.append([recordFor(8)])).baseOffset).toBe(8);
    expect(ends[ends.length - 1]).toBe(9);
    expect(marks[marks.length - 1]).toBe(9);
    expect(log.read(0, 100, 1e9)).toEqual(range(0, 9));
  });

  test("the high watermark comes down to the new end, and so does its checkpoint; epochs from there go", async () => {
    const path = join(workDir(), "demo-0");
    const log = open(path, { highWatermark: "explicit" });
    log.assignEpoch(1, 0);
    await fill(log, 0, 30);
    log.assignEpoch(2, 30);
    await fill(log, 30, 40);
    log.assignEpoch(3, 40);
    await fill(log, 40, 50);
    log.setHighWatermark(45);
    await log.checkpointHighWatermark();
    log.truncateTo(47);
    expect(log.highWatermark).toBe(45);
    log.truncateTo(35);
    expect([log.logEndOffset, log.highWatermark]).toEqual([35, 35]);
    expect(readFileSync(join(path, HIGH_WATERMARK_FILE), "utf8")).toBe("0\n1\n35\n");
    expect(log.leaderEpochs).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 30 },
    ]);
    log.truncateTo(30);
    expect(log.leaderEpochs).toEqual([{ epoch: 1, startOffset: 0 }]);
    // The new leader's records at 30 may come from an epoch older than the one removed.
    expect((await log.appendAt(30, [recordFor(30)], 1)).baseOffset).toBe(30);
    await log.close();
    const again = open(path, { highWatermark: "explicit" });
    expect([again.logEndOffset, again.highWatermark]).toEqual([31, 30]);
    expect(again.leaderEpochs).toEqual([{ epoch: 1, startOffset: 0 }]);
    await again.close();
  });
});

/**
 * Every state a kill -9 can leave once the intent is on disk, built by hand from the
 * files before and after a truncation: each must open at the new end.
 */
describe("truncateTo interrupted at each step", () => {
  // Epoch 3 begins exactly at the new end: only the intent says that it must go (an
  // epoch starting at the log end is otherwise kept: a leader elected, nothing written yet).
  const TARGET = 40;

  async function prepare(): Promise<{ root: string; before: string; after: string; target: number; bases: number[] }> {
    const root = workDir();
    const before = join(root, "before");
    const log = open(before, { highWatermark: "explicit" });
    log.assignEpoch(1, 0);
    await fill(log, 0, 20);
    log.assignEpoch(2, 20);
    await fill(log, 20, 40);
    log.assignEpoch(3, 40);
    await fill(log, 40, 80);
    log.setHighWatermark(70);
    await log.close();
    const bases = verifyLogFiles(before).segmentBases;
    const target = TARGET;
    // Inside a segment, with whole segments after it.
    expect(bases.includes(target)).toBe(false);
    expect(bases.filter((b) => b > target).length).toBeGreaterThan(1);
    const after = join(root, "after");
    cpSync(before, after, { recursive: true });
    const cut = open(after, { highWatermark: "explicit" });
    cut.truncateTo(target);
    await cut.close();
    return { root, before, after, target, bases };
  }

  function withIntent(from: string, to: string, target: number, after: string): void {
    cpSync(from, to, { recursive: true });
    const holder = verifyLogFiles(after).segmentBases.pop() ?? 0;
    const position = statSync(join(after, segmentFileName(holder))).size;
    writeTruncationIntent(to, { offset: target, segment: holder, position, fully: false });
  }

  function deleteIndexRows(path: string, from: number): void {
    const index = new OffsetIndex(join(path, "index.sqlite"));
    index.deleteFrom(from);
    index.close();
  }

  const steps: { name: string; build: (s: Awaited<ReturnType<typeof prepare>>, path: string) => void }[] = [
    { name: "the intent only", build: (s, path) => withIntent(s.before, path, s.target, s.after) },
    {
      name: "the intent and the index rows deleted",
      build: (s, path) => {
        withIntent(s.before, path, s.target, s.after);
        deleteIndexRows(path, s.target);
      },
    },
    {
      name: "the newest segment deleted, older later ones not yet (an end that is neither)",
      build: (s, path) => {
        withIntent(s.before, path, s.target, s.after);
        deleteIndexRows(path, s.target);
        rmSync(join(path, segmentFileName(s.bases[s.bases.length - 1])));
      },
    },
    {
      name: "every later segment deleted, the holder not yet cut",
      build: (s, path) => {
        withIntent(s.before, path, s.target, s.after);
        deleteIndexRows(path, s.target);
        for (const base of s.bases.filter((b) => b > s.target)) rmSync(join(path, segmentFileName(base)));
      },
    },
    {
      name: "the holder cut mid-frame by a torn ftruncate is impossible, but cut short of the position is not: files done, checkpoints old",
      build: (s, path) => {
        withIntent(s.before, path, s.target, s.after);
        deleteIndexRows(path, s.target);
        for (const base of s.bases.filter((b) => b > s.target)) rmSync(join(path, segmentFileName(base)));
        const holder = s.bases.filter((b) => b <= s.target).pop() ?? 0;
        truncateSync(join(path, segmentFileName(holder)), statSync(join(s.after, segmentFileName(holder))).size);
      },
    },
    {
      name: "everything done but the intent not yet removed",
      build: (s, path) => withIntent(s.after, path, s.target, s.after),
    },
  ];

  for (const { name, build } of steps) {
    test(name, async () => {
      const s = await prepare();
      const path = join(s.root, "crashed");
      build(s, path);
      expect(existsSync(join(path, TRUNCATION_FILE))).toBe(true);
      const warnings: string[] = [];
      const log = open(path, { highWatermark: "explicit" }, warnings);
      expect(warnings.filter((w) => w.includes("corrupt") || w.includes("missing"))).toEqual([]);
      expect([log.logEndOffset, log.highWatermark]).toEqual([s.target, s.target]);
      expect(log.leaderEpochs).toEqual([
        { epoch: 1, startOffset: 0 },
        { epoch: 2, startOffset: 20 },
      ]);
      expect(log.read(0, 1000, 1e9)).toEqual(range(0, s.target));
      expect(existsSync(join(path, TRUNCATION_FILE))).toBe(false);
      await fill(log, s.target, 90);
      await log.close();
      expect(verifyLogFiles(path).records).toEqual(range(0, 90));
      expect(segmentFiles(path)).toEqual(await straight(s.root, 90));
      const again = open(path, { highWatermark: "explicit" });
      expect([again.logEndOffset, again.highWatermark]).toEqual([90, s.target]);
      await again.close();
    });
  }

  test("without the intent the truncation never began: the old end", async () => {
    const s = await prepare();
    const log = open(s.before, { highWatermark: "explicit" });
    expect([log.logEndOffset, log.highWatermark]).toEqual([80, 70]);
    expect(log.read(0, 1000, 1e9, { upTo: "log-end" })).toEqual(range(0, 80));
    await log.close();
  });
});

describe("truncateFullyAndStartAt", () => {
  async function withRecords(path: string): Promise<PartitionLog> {
    const log = open(path, { highWatermark: "explicit" });
    log.assignEpoch(2, 0);
    await fill(log, 0, 50);
    log.setHighWatermark(40);
    return log;
  }

  for (const [name, start] of [
    ["past the end (a follower behind its leader's log start)", 1000],
    ["at an existing segment's base", -1],
    ["at 0, below nothing", 0],
  ] as const) {
    test(`${name}: an empty log starting there, appends continue, a reopen keeps it`, async () => {
      const path = join(workDir(), "demo-0");
      const log = await withRecords(path);
      const offset = start === -1 ? listSegmentBases(path)[2] : start;
      const marks: number[] = [];
      log.onHighWatermark((hw) => marks.push(hw));
      log.truncateFullyAndStartAt(offset);
      expect([log.startOffset, log.logEndOffset, log.highWatermark]).toEqual([offset, offset, offset]);
      expect(marks).toEqual(offset > 40 ? [offset] : []);
      expect(log.leaderEpochs).toEqual([]);
      expect(log.read(offset, 10, 1e9, { upTo: "log-end" })).toEqual([]);
      expect(readdirSync(path).filter((n) => n.endsWith(".log"))).toEqual([segmentFileName(offset)]);
      expect(existsSync(join(path, TRUNCATION_FILE))).toBe(false);
      expect(await codeOf(() => log.appendAt(offset + 1, [recordFor(offset + 1)]))).toBe("OFFSET_OUT_OF_RANGE");
      expect((await log.appendAt(offset, [expectedAt(offset), expectedAt(offset + 1)], 7)).baseOffset).toBe(offset);
      expect((await log.append([recordFor(offset + 2)])).baseOffset).toBe(offset + 2);
      expect(log.leaderEpochs).toEqual([{ epoch: 7, startOffset: offset }]);
      await log.close();
      expect(verifyLogFiles(path).records).toEqual(range(offset, offset + 3));
      const again = open(path, { highWatermark: "explicit" });
      expect([again.startOffset, again.logEndOffset, again.highWatermark]).toEqual([offset, offset + 3, offset]);
      expect(again.read(offset, 10, 1e9, { upTo: "log-end" })).toEqual(range(offset, offset + 3));
      await again.close();
    });
  }

  for (const [name, damage] of [
    ["the intent only", (_path: string): void => {}],
    [
      "the intent, the index emptied and the newest segments deleted",
      (path: string): void => {
        const index = new OffsetIndex(join(path, "index.sqlite"));
        index.deleteFrom(Number.MIN_SAFE_INTEGER);
        index.close();
        for (const base of listSegmentBases(path).slice(-3)) rmSync(join(path, segmentFileName(base)));
      },
    ],
  ] as const) {
    test(`interrupted with ${name}: opens empty at the new start`, async () => {
      const path = join(workDir(), "demo-0");
      const log = await withRecords(path);
      await log.close();
      writeTruncationIntent(path, { offset: 500, segment: 500, position: 0, fully: true });
      damage(path);
      const warnings: string[] = [];
      const again = open(path, { highWatermark: "explicit" }, warnings);
      expect(warnings.filter((w) => w.includes("corrupt") || w.includes("missing"))).toEqual([]);
      expect([again.startOffset, again.logEndOffset, again.highWatermark]).toEqual([500, 500, 500]);
      expect(again.leaderEpochs).toEqual([]);
      expect(existsSync(join(path, TRUNCATION_FILE))).toBe(false);
      await fill(again, 500, 504);
      await again.close();
      expect(verifyLogFiles(path).records).toEqual(range(500, 504));
    });
  }
});
