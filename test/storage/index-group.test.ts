import { describe, expect, test } from "bun:test";
import {
  collectEntries,
  encodeGroup,
  entryAt,
  firstEndingPastIn,
  GROUP_ENTRIES,
  groupEnd,
  maxTimestampIn,
  sliceGroup,
} from "../../src/storage/index-group.ts";
import type { IndexEntry } from "../../src/storage/offset-index.ts";

/** `count` back-to-back frames from `offset`, in segment `segment` from `position`. */
function run(offset: number, count: number, segment = 0, position = 0, timestamp = (o: number) => 1_700_000_000_000 + o): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const length = 30 + ((offset + i) % 17);
    out.push({ offset: offset + i, segment, position, length, timestamp: timestamp(offset + i) });
    position += length;
  }
  return out;
}

function decodeAll(entries: IndexEntry[]): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let start = 0; start < entries.length; ) {
    const end = groupEnd(entries, start);
    collectEntries(encodeGroup(entries, start, end), Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, out);
    start = end;
  }
  return out;
}

describe("index groups", () => {
  test("a group holds at most GROUP_ENTRIES consecutive, back-to-back entries of one segment", () => {
    const long = run(0, GROUP_ENTRIES * 2 + 5);
    expect(groupEnd(long, 0)).toBe(GROUP_ENTRIES);
    expect(groupEnd(long, GROUP_ENTRIES * 2)).toBe(GROUP_ENTRIES * 2 + 5);
    // An offset missing (a record recovery found corrupt): the group ends before it.
    const gap = [...run(0, 5), ...run(6, 5, 0, 10_000)];
    expect(groupEnd(gap, 0)).toBe(5);
    // A new segment inside one add.
    const rolled = [...run(0, 5), ...run(5, 5, 5, 0)];
    expect(groupEnd(rolled, 0)).toBe(5);
    // Frames that are not back to back.
    const apart = run(0, 6);
    apart[3] = { ...apart[3], position: apart[3].position + 1 };
    expect(groupEnd(apart, 0)).toBe(3);
    // A span of 4 GiB or more is split, so relative ends stay u32.
    const huge = [
      { offset: 0, segment: 0, position: 0, length: 3_000_000_000, timestamp: 1 },
      { offset: 1, segment: 0, position: 3_000_000_000, length: 1_000_000_000, timestamp: 1 },
      { offset: 2, segment: 0, position: 4_000_000_000, length: 300_000_000, timestamp: 1 },
    ];
    expect(groupEnd(huge, 0)).toBe(2);
    expect(decodeAll(huge)).toEqual(huge);
  });

  test("4 bytes an entry when every timestamp is the same, 8 when they are u32 below the newest, 12 otherwise, each read back exactly", () => {
    const stamped = run(0, 10, 0, 0, () => 1_700_000_000_000);
    expect(encodeGroup(stamped, 0, 10).entries.length).toBe(40);
    expect(decodeAll(stamped)).toEqual(stamped);
    const single = run(7, 1, 0, 99, () => -1);
    expect(encodeGroup(single, 0, 1).entries.length).toBe(4);
    expect(decodeAll(single)).toEqual(single);

    const narrow = run(10, 20);
    const row = encodeGroup(narrow, 0, 20);
    expect([row.base, row.last, row.segment, row.position, row.maxTs]).toEqual([10, 29, 0, 0, 1_700_000_000_029]);
    expect(row.entries.length).toBe(20 * 8);
    expect(decodeAll(narrow)).toEqual(narrow);

    const stamps = [1.5, -1, 0, 2 ** 40, -(2 ** 45), Number.MAX_SAFE_INTEGER, 7];
    const wide = run(0, stamps.length, 3, 12, (o) => stamps[o]);
    const wideRow = encodeGroup(wide, 0, wide.length);
    expect(wideRow.entries.length).toBe(stamps.length * 12);
    expect(wideRow.maxTs).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeAll(wide)).toEqual(wide);
    // A spread just inside a u32 stays narrow; -1 (no timestamp in Kafka) works too.
    const spread = run(0, 3, 0, 0, (o) => [-1, 0xffff_fffe, 5][o]);
    expect(encodeGroup(spread, 0, 3).entries.length).toBe(24);
    expect(decodeAll(spread)).toEqual(spread);
  });

  test("positions past 4 GiB are exact", () => {
    const far = run(1000, 40, 900, 6_000_000_123);
    expect(decodeAll(far)).toEqual(far);
    const row = encodeGroup(far, 0, groupEnd(far, 0));
    expect(entryAt(row, 1005)).toEqual(far[5]);
    expect(firstEndingPastIn(row, 1000, 2000, far[7].position + far[7].length - 1)).toBe(1007);
  });

  test("queries trim to the range asked for", () => {
    const entries = run(100, 20, 0, 50, (o) => [5, 9, 2, 40, 3][o % 5] * 1000);
    const row = encodeGroup(entries, 0, 20);
    const out: IndexEntry[] = [];
    collectEntries(row, 103, 110, 4, out);
    expect(out).toEqual(entries.slice(3, 7));
    collectEntries(row, 0, 102, 100, out);
    expect(out).toEqual([...entries.slice(3, 7), ...entries.slice(0, 2)]);
    expect(maxTimestampIn(row, 104, 108)).toBe(9000);
    expect(maxTimestampIn(row, 104, 105)).toBe(3000);
    expect(maxTimestampIn(row, 120, 130)).toBeNull();
    expect(firstEndingPastIn(row, 0, 1000, 1_000_000)).toBeNull();
    expect(firstEndingPastIn(row, 0, 1000, 50)).toBe(100);
    expect(firstEndingPastIn(row, 110, 1000, 50)).toBe(110);
    expect(firstEndingPastIn(row, 0, 105, entries[6].position)).toBeNull();

    const middle = sliceGroup(row, 105, 112);
    expect([middle.base, middle.last, middle.position]).toEqual([105, 111, entries[5].position]);
    const out2: IndexEntry[] = [];
    collectEntries(middle, 0, 1000, 1000, out2);
    expect(out2).toEqual(entries.slice(5, 12));
    expect(middle.maxTs).toBe(40_000);
  });
});
