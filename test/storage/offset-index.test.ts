import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { GROUP_ENTRIES } from "../../src/storage/index-group.ts";
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

/** A path for an index file, its folder removed after the test; the test closes what it opens. */
function indexPath(): string {
  const d = tempDir("streamnest-index-");
  cleanups.push(d.remove);
  return join(d.path, "index.sqlite");
}

/** `count` back-to-back frames from `offset` in segment `segment`, from `position`. */
function frames(offset: number, count: number, segment: number, position = 0): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const length = 40 + ((offset + i) % 5);
    out.push({ offset: offset + i, segment, position, length, timestamp: 1000 + (offset + i) * 10 });
    position += length;
  }
  return out;
}

const ALL = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const;

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

  test("a large add is all or nothing", () => {
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

  test("a record is found whatever its place in a group: first, last, across group edges", () => {
    const index = openIndex();
    const entries = frames(0, 1000, 0);
    index.add(entries);
    for (const e of entries) expect(index.get(e.offset)).toEqual(e);
    expect(index.get(-1)).toBeNull();
    expect(index.get(1000)).toBeNull();
    expect(index.range(...ALL)).toEqual(entries);
    // A limit ending inside a group, from inside another.
    expect(index.range(GROUP_ENTRIES - 3, 900, 10)).toEqual(entries.slice(GROUP_ENTRIES - 3, GROUP_ENTRIES + 7));
    expect(index.range(5, 6, 10)).toEqual([entries[5]]);
    expect(index.range(7, 7, 10)).toEqual([]);
    expect(index.range(0, 1000, 0)).toEqual([]);
    expect(index.range(995, 2000, 1000)).toEqual(entries.slice(995));
    // Timestamps rise with the offset: the newest is the last in the range.
    expect(index.maxTimestamp(GROUP_ENTRIES - 2, GROUP_ENTRIES + 2)).toBe(entries[GROUP_ENTRIES + 1].timestamp);
    expect(index.maxTimestamp(3, 5)).toBe(entries[4].timestamp);
    expect(index.maxTimestamp(0, 1000)).toBe(entries[999].timestamp);
    expect(index.maxTimestamp(1000, 2000)).toBeNull();
    expect(index.maxTimestamp(5, 5)).toBeNull();
    const edge = entries[GROUP_ENTRIES * 2];
    expect(index.firstEndingPast(0, 1000, edge.position + edge.length - 1)).toBe(edge.offset);
    expect(index.firstEndingPast(0, 1000, edge.position + edge.length)).toBe(edge.offset + 1);
    expect(index.firstEndingPast(0, edge.offset, edge.position)).toBeNull();
    expect(index.firstEndingPast(700, 710, 0)).toBe(700);
  });

  test("gaps in offsets and a segment rolled inside one add split groups, and every entry is kept", () => {
    const index = openIndex();
    // 0..9, then 11..49 after a record skipped as corrupt, then a new segment at 50.
    const entries = [...frames(0, 10, 0), ...frames(11, 39, 0, 2000), ...frames(50, 60, 50)];
    index.add(entries);
    expect(index.get(10)).toBeNull();
    expect(index.get(11)).toEqual(entries[10]);
    expect(index.get(50)).toEqual(frames(50, 1, 50)[0]);
    expect(index.range(...ALL)).toEqual(entries);
    expect(index.range(8, 13, 100).map((e) => e.offset)).toEqual([8, 9, 11, 12]);
    expect(index.last()).toEqual(entries[entries.length - 1]);
    // Positions restart in the new segment: the first record ending past 100 bytes there is its third.
    expect(index.firstEndingPast(50, 110, 100)).toBe(52);
    // The log started over further on (truncateFullyAndStartAt): a gap between adds.
    index.deleteFrom(Number.MIN_SAFE_INTEGER);
    expect(index.last()).toBeNull();
    index.add(frames(5000, 3, 5000));
    expect(index.range(...ALL)).toEqual(frames(5000, 3, 5000));
  });

  test("deleteFrom inside a group keeps the entries before, and the log can be appended to from there", () => {
    const index = openIndex();
    const entries = frames(0, 100, 0);
    index.add(entries);
    index.deleteFrom(45);
    expect(index.last()).toEqual(entries[44]);
    expect(index.get(45)).toBeNull();
    expect(index.get(44)).toEqual(entries[44]);
    expect(index.range(...ALL)).toEqual(entries.slice(0, 45));
    expect(index.maxTimestamp(40, 100)).toBe(entries[44].timestamp);
    // A truncated follower appends different records at the same offsets.
    const again = frames(45, 10, 0, entries[45].position).map((e) => ({ ...e, timestamp: 7 }));
    index.add(again);
    expect(index.range(40, 60, 100)).toEqual([...entries.slice(40, 45), ...again]);
    expect(() => index.add(frames(54, 1, 0))).toThrow(StreamNestError);
  });

  test("deleteBelow inside a group drops the entries below, and nothing else", () => {
    const index = openIndex();
    const entries = frames(0, 100, 0);
    index.add(entries);
    index.deleteBelow(45);
    expect(index.get(44)).toBeNull();
    expect(index.get(45)).toEqual(entries[45]);
    expect(index.range(0, 50, 3)).toEqual(entries.slice(45, 48));
    expect(index.range(...ALL)).toEqual(entries.slice(45));
    expect(index.maxTimestamp(0, 46)).toBe(entries[45].timestamp);
    expect(index.maxTimestamp(0, 45)).toBeNull();
    expect(index.firstEndingPast(0, 100, 0)).toBe(45);
    expect(index.last()).toEqual(entries[99]);
    index.add(frames(100, 1, 0, entries[99].position + entries[99].length));
    index.deleteBelow(1000);
    expect(index.last()).toBeNull();
  });

  test("bounds between offsets act as comparisons with each offset", () => {
    const index = openIndex();
    const entries = frames(0, 10, 0);
    index.add(entries);
    expect(index.get(2.5)).toBeNull();
    expect(index.range(2.5, 5.5, 10)).toEqual(entries.slice(3, 6));
    expect(index.maxTimestamp(2.5, 3.5)).toBe(entries[3].timestamp);
    expect(index.firstEndingPast(2.5, 10, 0)).toBe(3);
    index.deleteFrom(7.5);
    index.deleteBelow(1.5);
    expect(index.range(...ALL)).toEqual(entries.slice(2, 8));
  });

  test("an add writes a row per group, never rewriting one; the rows outlive a reopen", () => {
    const path = indexPath();
    const index = new OffsetIndex(path);
    expect([index.fresh, index.olderFormat]).toEqual([true, false]);
    index.add(frames(0, 1000, 0));
    index.add(frames(1000, 1, 0, frames(0, 1001, 0)[1000].position));
    index.close();
    const reopened = new OffsetIndex(path);
    expect([reopened.fresh, reopened.olderFormat]).toEqual([false, false]);
    expect(reopened.range(...ALL)).toEqual(frames(0, 1001, 0));
    // The last offset is read from the file: an offset already there is refused.
    expect(() => reopened.add(frames(1000, 1, 0))).toThrow(StreamNestError);
    reopened.close();
    const db = new Database(path);
    expect(db.query("SELECT COUNT(*) AS n FROM entry_groups").get()).toEqual({ n: Math.ceil(1000 / GROUP_ENTRIES) + 1 });
    db.close();
  });

  test("answers as a plain sorted array does, over a seeded random run of adds, deletes and reopens", () => {
    const path = indexPath();
    let index = new OffsetIndex(path);
    let seed = 20261205;
    const random = (): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
    let reference: IndexEntry[] = [];
    let next = 0;
    let segment = 0;
    let position = 0;
    let clock = 1_700_000_000_000;
    const lastOf = (): IndexEntry | null => reference[reference.length - 1] ?? null;
    try {
      for (let step = 0; step < 400; step++) {
        const op = random();
        if (op < 0.55) {
          const batch: IndexEntry[] = [];
          for (let n = int(1, 90); n > 0; n--) {
            const r = random();
            if (r < 0.03) next += int(1, 4); // offsets skipped (corrupt records, a new start)
            else if (r < 0.06) [segment, position] = [next, 0]; // a segment rolled
            else if (r < 0.08) position += int(1, 50); // frames not back to back
            const length = int(1, 400);
            const w = random();
            clock += int(0, 3);
            const timestamp = w < 0.02 ? clock + 2 ** 33 : w < 0.04 ? clock - 0.5 : w < 0.06 ? -1 : clock - int(0, 100);
            batch.push({ offset: next, segment, position, length, timestamp });
            next++;
            position += length;
          }
          index.add(batch);
          reference.push(...batch);
        } else if (op < 0.65 && reference.length > 0) {
          // A truncation: appends go on from the cut, back to back after the entry before it.
          const at = int(reference[0].offset - 3, lastOf()!.offset + 3);
          const cuts = at <= lastOf()!.offset;
          index.deleteFrom(at);
          reference = reference.filter((e) => e.offset < at);
          const last = lastOf();
          if (cuts) {
            next = at;
            segment = last === null ? at : last.segment;
            position = last === null ? 0 : last.position + last.length;
          }
        } else if (op < 0.72 && reference.length > 0) {
          const at = int(reference[0].offset - 3, lastOf()!.offset + 3);
          index.deleteBelow(at);
          reference = reference.filter((e) => e.offset >= at);
        } else if (op < 0.78) {
          index.close();
          index = new OffsetIndex(path);
          expect(index.fresh).toBe(false);
        } else if (op < 0.82 && reference.length > 0) {
          // An offset at or below the last is refused, and leaves nothing behind.
          const bad = [{ offset: next, segment, position, length: 5, timestamp: 0 }, { ...lastOf()!, length: 9 }];
          expect(() => index.add(bad)).toThrow(StreamNestError);
        }
        expect(index.last()).toEqual(lastOf());
        expect(index.range(...ALL)).toEqual(reference);
        const lo = reference.length > 0 ? reference[0].offset - 5 : next - 5;
        const hi = reference.length > 0 ? lastOf()!.offset + 5 : next + 5;
        for (let i = 0; i < 8; i++) {
          const o = int(lo, hi);
          expect(index.get(o)).toEqual(reference.find((e) => e.offset === o) ?? null);
        }
        const from = int(lo, hi);
        const to = int(from - 2, hi + 2);
        const limit = int(0, 80);
        const inRange = reference.filter((e) => e.offset >= from && e.offset < to);
        expect(index.range(from, to, limit)).toEqual(inRange.slice(0, limit));
        const newest = inRange.length === 0 ? null : Math.max(...inRange.map((e) => e.timestamp));
        expect(index.maxTimestamp(from, to)).toBe(newest);
        const size = inRange.length === 0 ? int(0, 1000) : inRange[int(0, inRange.length - 1)].position + int(-50, 450);
        expect(index.firstEndingPast(from, to, size)).toBe(inRange.find((e) => e.position + e.length > size)?.offset ?? null);
      }
    } finally {
      index.close();
    }
  });
});
