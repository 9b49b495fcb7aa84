import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { type IndexEntry, OffsetIndex, replaceOffsetIndex } from "../../src/storage/offset-index.ts";
import { WriteBehindIndex } from "../../src/storage/write-behind-index.ts";
import { tempDir } from "./fixtures/records.ts";

/** The offset index's newest entries kept in memory and stored a batch at a time (write-behind-index.ts), over a real sqlite index. */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function entries(from: number, count: number, segment = 0): IndexEntry[] {
  return Array.from({ length: count }, (_, i) => ({ offset: from + i, segment, position: (from + i) * 100, length: 100, timestamp: 1_000 + from + i }));
}

function opened(batch = 8): { index: WriteBehindIndex; store: OffsetIndex; path: string; warnings: string[] } {
  const dir = tempDir("streamnest-write-behind-");
  cleanups.push(dir.remove);
  const path = join(dir.path, "index.sqlite");
  const store = replaceOffsetIndex(path);
  const warnings: string[] = [];
  return { index: new WriteBehindIndex(store, (m) => warnings.push(m), batch), store, path, warnings };
}

describe("WriteBehindIndex", () => {
  test("entries wait in memory until a batch is reached, then all go to the store at once; every question sees them either way", () => {
    const { index, store } = opened(8);
    index.add(entries(0, 3));
    index.add(entries(3, 2));
    expect([index.waitingEntries, store.last()]).toEqual([5, null]);
    expect(index.get(4)).toEqual(entries(4, 1)[0]);
    expect(index.place(2)).toEqual({ segment: 0, position: 200, length: 100 });
    expect(index.last()).toEqual(entries(4, 1)[0]);
    expect(index.range(1, 4, 10)).toEqual(entries(1, 3));
    index.add(entries(5, 3));
    expect([index.waitingEntries, store.last()?.offset]).toEqual([0, 7]);
    index.add(entries(8, 2));
    // Across the store and memory, bounds rounded up to whole offsets, at most `limit`.
    expect(index.range(6.5, 9.5, 10)).toEqual(entries(7, 3));
    expect(index.range(0, 100, 4)).toEqual(entries(0, 4));
    expect(index.range(6, 100, 3)).toEqual(entries(6, 3));
    expect(index.get(9)).toEqual(entries(9, 1)[0]);
    expect(index.get(10)).toBeNull();
    expect(index.place(10)).toBeNull();
    expect(index.get(3)).toEqual(entries(3, 1)[0]);
  });

  test("an offset at or below the last one indexed, waiting or stored, is refused and nothing of its add is kept", () => {
    const { index, store } = opened(4);
    index.add(entries(0, 4));
    index.add(entries(4, 1));
    expect(() => index.add([...entries(5, 1), ...entries(5, 1)])).toThrow(new StreamNestError("STORAGE_ERROR", "offset index: offset 5 added after offset 5"));
    expect(() => index.add(entries(2, 1))).toThrow(new StreamNestError("STORAGE_ERROR", "offset index: offset 2 added after offset 4"));
    expect([index.waitingEntries, index.last()?.offset, store.last()?.offset]).toEqual([1, 4, 3]);
  });

  test("deleteFrom cuts the entries waiting, and the store's when it reaches below them", () => {
    const { index, store } = opened(4);
    index.add(entries(0, 4));
    index.add(entries(4, 3));
    index.deleteFrom(6);
    expect([index.waitingEntries, index.last()?.offset]).toEqual([2, 5]);
    index.add(entries(6, 1));
    index.deleteFrom(2);
    expect([index.waitingEntries, index.last()?.offset, store.last()?.offset]).toEqual([0, 1, 1]);
    // Offsets may follow the cut again.
    index.add(entries(2, 1));
    expect(index.range(0, 10, 10)).toEqual(entries(0, 3));
  });

  test("close stores what waits: a new index over the same file has every entry", () => {
    const { index, path } = opened(100);
    index.add(entries(0, 5));
    index.close();
    const again = new OffsetIndex(path);
    try {
      expect(again.range(0, 10, 10)).toEqual(entries(0, 5));
    } finally {
      again.close();
    }
  });

  test("a store that fails: the batch that would reach it is refused whole, those waiting stay; close still closes, and says what was not stored", () => {
    const { index, store, warnings } = opened(4);
    index.add(entries(0, 2));
    store.close();
    expect(() => index.add(entries(2, 2))).toThrow();
    expect([index.waitingEntries, index.last()?.offset]).toEqual([2, 1]);
    index.close();
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toStartWith("the offset index entries of the last 2 records could not be stored (");
    expect(warnings[0]).toEndWith("); the next open reads them again from the log");
  });
});
