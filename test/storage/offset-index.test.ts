import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type IndexEntry, OffsetIndex } from "../../src/storage/offset-index.ts";
import { tempDir } from "./fixtures/records.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function openIndex(): OffsetIndex {
  const d = tempDir("streamnest-index-");
  const index = new OffsetIndex(join(d.path, "index.sqlite"));
  cleanups.push(d.remove, () => index.close());
  return index;
}

const entry = (offset: number, segment: number, position: number): IndexEntry => ({
  offset,
  segment,
  position,
  length: 40 + (offset % 5),
  timestamp: 1000 + offset * 10,
});

describe("OffsetIndex", () => {
  test("looks up entries and ranges by offset", () => {
    const index = openIndex();
    expect(index.last()).toBeNull();
    const entries = Array.from({ length: 100 }, (_, o) => entry(o, o < 50 ? 0 : 50, (o % 50) * 45));
    index.add(entries);
    expect(index.get(42)).toEqual(entries[42]);
    expect(index.get(100)).toBeNull();
    expect(index.last()).toEqual(entries[99]);
    expect(index.range(48, 100, 4)).toEqual(entries.slice(48, 52));
    expect(index.range(98, 99, 10)).toEqual([entries[98]]);
    expect(index.maxTimestamp(0, 50)).toBe(1490);
    expect(index.maxTimestamp(200, 300)).toBeNull();
  });

  test("drops entries above or below an offset", () => {
    const index = openIndex();
    index.add(Array.from({ length: 20 }, (_, o) => entry(o, 0, o * 45)));
    index.deleteFrom(15);
    index.deleteBelow(5);
    expect(index.range(0, 100, 100).map((e) => e.offset)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  test("finds the first entry that ends past a segment size", () => {
    const index = openIndex();
    index.add(Array.from({ length: 10 }, (_, o) => ({ offset: o, segment: 0, position: o * 10, length: 10, timestamp: 0 })));
    expect(index.firstEndingPast(0, 10, 100)).toBeNull();
    expect(index.firstEndingPast(0, 10, 75)).toBe(7);
    expect(index.firstEndingPast(0, 10, 70)).toBe(7);
    expect(index.firstEndingPast(0, 10, 69)).toBe(6);
  });

  test("an offset can be indexed only once", () => {
    const index = openIndex();
    index.add([entry(1, 0, 0)]);
    expect(() => index.add([entry(2, 0, 45), entry(1, 0, 90)])).toThrow();
    // The failed transaction left nothing behind.
    expect(index.last()).toEqual(entry(1, 0, 0));
  });

  test("a large add is written in multi-row statements, all or nothing", () => {
    const index = openIndex();
    const entries = Array.from({ length: 300 }, (_, o) => entry(o, 0, o * 45));
    index.add(entries);
    expect(index.range(0, 1000, 1000)).toEqual(entries);
    // A duplicate in the second block of rows: the rows of the first block are undone too.
    const more = Array.from({ length: 200 }, (_, i) => entry(300 + i, 0, (300 + i) * 45));
    more[100] = entry(299, 0, 0);
    expect(() => index.add(more)).toThrow();
    expect(index.last()).toEqual(entries[299]);
    expect(index.range(300, 1000, 1000)).toEqual([]);
  });
});
