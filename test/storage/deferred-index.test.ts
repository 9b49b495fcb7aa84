import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CORE_LIMITS } from "../../src/config/core.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { DeferredIndex } from "../../src/storage/deferred-index.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import type { IndexEntry } from "../../src/storage/offset-index.ts";
import type { LogOptions } from "../../src/storage/types.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const LIMIT = CORE_LIMITS.memoryIndexRecords.value;

const entry = (offset: number, position = offset * 10, length = 10): IndexEntry => ({
  offset,
  segment: 0,
  position,
  length,
  timestamp: 1000 + (offset % 5),
});

function index(): { index: DeferredIndex; path: string } {
  const dir = tempDir();
  const path = join(dir.path, "index.sqlite");
  const created = new DeferredIndex(path, (m) => {
    throw new Error(`unexpected warning: ${m}`);
  });
  cleanups.push(dir.remove, () => created.close());
  return { index: created, path };
}

describe("DeferredIndex in memory", () => {
  test("answers every query as the sqlite index does, and writes no file", () => {
    const { index: ix, path } = index();
    expect(ix.fresh).toBe(true);
    expect(ix.last()).toBeNull();
    ix.add([entry(0), entry(1), entry(2)]);
    ix.add([entry(3), entry(5)]);
    expect(ix.last()).toEqual(entry(5));
    expect(ix.get(2)).toEqual(entry(2));
    expect(ix.get(4)).toBeNull();
    expect(ix.range(1, 5, 10)).toEqual([entry(1), entry(2), entry(3)]);
    expect(ix.range(0, 100, 2)).toEqual([entry(0), entry(1)]);
    expect(ix.range(6, 100, 2)).toEqual([]);
    expect(ix.maxTimestamp(0, 4)).toBe(1003);
    expect(ix.maxTimestamp(6, 9)).toBeNull();
    // Records 3 and 5 end at 40 and 60: the first ending past 35 in [0, 6) is 3.
    expect(ix.firstEndingPast(0, 6, 35)).toBe(3);
    expect(ix.firstEndingPast(0, 6, 60)).toBeNull();
    ix.deleteBelow(2);
    expect(ix.range(0, 100, 100).map((e) => e.offset)).toEqual([2, 3, 5]);
    ix.deleteFrom(3);
    expect(ix.range(0, 100, 100).map((e) => e.offset)).toEqual([2]);
    expect(ix.sizeBytes()).toBe(0);
    expect(ix.onDisk).toBe(false);
    expect(existsSync(path)).toBe(false);
  });

  test("refuses an offset at or below the last one, as the primary key of the sqlite index does, and keeps its rows", () => {
    const { index: ix } = index();
    ix.add([entry(0), entry(1)]);
    let error: unknown;
    try {
      ix.add([entry(2), entry(1)]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StreamNestError);
    expect((error as StreamNestError).code).toBe("STORAGE_ERROR");
    expect(ix.range(0, 100, 100)).toEqual([entry(0), entry(1)]);
  });

  test(`moves every row to index.sqlite once it passes ${LIMIT} rows, and answers the same after`, () => {
    const { index: ix, path } = index();
    const rows = Array.from({ length: LIMIT }, (_, i) => entry(i));
    ix.add(rows);
    expect(ix.onDisk).toBe(false);
    expect(existsSync(path)).toBe(false);
    ix.add([entry(LIMIT)]);
    expect(ix.onDisk).toBe(true);
    expect(existsSync(path)).toBe(true);
    expect(ix.range(0, LIMIT + 1, LIMIT + 1)).toEqual([...rows, entry(LIMIT)]);
    expect(ix.last()).toEqual(entry(LIMIT));
    expect(ix.get(7)).toEqual(entry(7));
    ix.deleteFrom(LIMIT - 1);
    expect(ix.last()).toEqual(entry(LIMIT - 2));
    expect(ix.sizeBytes()).toBeGreaterThan(0);
  });

  test("moves to index.sqlite once the rows cover more bytes than the limit", () => {
    const { index: ix, path } = index();
    const big = CORE_LIMITS.memoryIndexBytes.value;
    ix.add([entry(0, 0, big)]);
    expect(ix.onDisk).toBe(false);
    ix.add([entry(1, big, 1)]);
    expect(ix.onDisk).toBe(true);
    expect(existsSync(path)).toBe(true);
    expect(ix.range(0, 2, 2)).toEqual([entry(0, 0, big), entry(1, big, 1)]);
  });
});

describe("PartitionLog with deferIndex", () => {
  const options: Partial<LogOptions> = { fsync: "never", deferIndex: true };

  function open(dir: string, warnings: string[]): PartitionLog {
    const log = PartitionLog.open(dir, options, (m) => warnings.push(m));
    cleanups.push(() => log.close());
    return log;
  }

  test("a small log has no index.sqlite, and reopened reads every record back without a warning", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const dir = join(tmp.path, "demo-0");
    const warnings: string[] = [];
    const log = open(dir, warnings);
    await log.append([recordFor(0), recordFor(1), recordFor(2)]);
    await log.append([recordFor(3)]);
    expect(log.read(1, 10, 1 << 20)).toEqual([1, 2, 3].map(expectedAt));
    await log.close();
    expect(readdirSync(dir).sort()).toEqual(["00000000000000000000.log"]);

    const again = open(dir, warnings);
    expect(again.endOffset).toBe(4);
    expect(again.read(0, 10, 1 << 20)).toEqual([0, 1, 2, 3].map(expectedAt));
    await again.append([recordFor(4)]);
    expect(again.read(4, 10, 1 << 20)).toEqual([expectedAt(4)]);
    expect(warnings).toEqual([]);
  });

  test("a log that grows past the limit gets its index.sqlite, with every row, and reopens from it", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const dir = join(tmp.path, "demo-0");
    const warnings: string[] = [];
    const log = open(dir, warnings);
    const count = Math.ceil((LIMIT + 20) / 10) * 10;
    for (let o = 0; o < count; o += 10) await log.append(Array.from({ length: 10 }, (_, i) => recordFor(o + i)));
    // Stored at the latest when the log closes (write-behind-index.ts).
    await log.close();
    expect(existsSync(join(dir, "index.sqlite"))).toBe(true);

    const again = open(dir, warnings);
    expect(again.endOffset).toBe(count);
    const all = again.read(0, count, 64 << 20);
    expect(all).toEqual(Array.from({ length: count }, (_, o) => expectedAt(o)));
    expect(warnings).toEqual([]);
  });

  test("truncation and a torn tail work on a log whose index is in memory", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const dir = join(tmp.path, "demo-0");
    const warnings: string[] = [];
    const log = open(dir, warnings);
    await log.append([0, 1, 2, 3, 4].map(recordFor));
    log.truncateTo(3);
    expect(log.endOffset).toBe(3);
    expect(log.read(0, 10, 1 << 20)).toEqual([0, 1, 2].map(expectedAt));
    await log.append([recordFor(3)]);
    expect(log.read(2, 10, 1 << 20)).toEqual([2, 3].map(expectedAt));
    await log.close();

    // Half a record at the end, as a kill -9 during a write leaves it: cut off on open.
    const segment = join(dir, "00000000000000000000.log");
    const size = Bun.file(segment).size;
    const { appendFileSync } = await import("node:fs");
    appendFileSync(segment, new Uint8Array([9, 0, 0, 0, 1, 2, 3]));
    const again = open(dir, warnings);
    expect(again.endOffset).toBe(4);
    expect(Bun.file(segment).size).toBe(size);
    expect(again.read(0, 10, 1 << 20)).toEqual([0, 1, 2, 3].map(expectedAt));
    expect(warnings.some((w) => w.includes("truncating torn tail"))).toBe(true);
  });
});
