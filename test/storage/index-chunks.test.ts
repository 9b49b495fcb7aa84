import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { CHUNK_OFFSETS, type FramePlace, IndexChunkBudget, IndexChunks, type LoadedGroup } from "../../src/storage/index-chunks.ts";
import { GROUP_ENTRIES } from "../../src/storage/index-group.ts";
import { type IndexEntry, OffsetIndex } from "../../src/storage/offset-index.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { expectedAt, recordFor, recordInEpoch, tempDir } from "./fixtures/records.ts";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openIndex(): OffsetIndex {
  const d = tempDir("streamnest-index-chunks-");
  const index = new OffsetIndex(join(d.path, "index.sqlite"));
  cleanups.push(d.remove, () => index.close());
  return index;
}

/** `count` back-to-back frames of varied lengths from `offset`, in segment `segment` from `position`. */
function frames(offset: number, count: number, segment: number, position = 0): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const length = 40 + ((offset + i) % 7) * 13;
    out.push({ offset: offset + i, segment, position, length, timestamp: 1000 + offset + i });
    position += length;
  }
  return out;
}

const placeOf = (e: FramePlace | null) => (e === null ? null : { segment: e.segment, position: e.position, length: e.length });

describe("OffsetIndex.place (index-chunks.ts)", () => {
  test("answers exactly what get answers, for every offset: groups of every size, segments, gaps, both ends", () => {
    const index = openIndex();
    // Batches of 1, 5, 32 and 100 records (groups of one to GROUP_ENTRIES), a segment
    // change mid-batch, a gap in the offsets, over more than two chunks.
    index.add(frames(0, 1, 0));
    index.add(frames(1, 5, 0, 40));
    index.add(frames(6, 100, 0, 10_000));
    index.add([...frames(106, 20, 0, 40_000), ...frames(126, 900, 126)]);
    index.add(frames(1100, 2000, 1100)); // 1026..1099 are missing
    // Twice: a chunk's first lookup goes to sqlite, its second loads it.
    for (const round of [1, 2]) for (let o = -3; o <= 3105; o++) expect([round, placeOf(index.place(o))]).toEqual([round, placeOf(index.get(o))]);
    expect(index.place(1050)).toBeNull();
    expect(index.place(3100)).toBeNull();
    expect(index.place(2.5)).toBeNull();
  });

  test("an entry truncated away is not answered from memory, nor is the old place of one written again", () => {
    const index = openIndex();
    index.add(frames(0, 3000, 0));
    index.place(2000);
    expect(placeOf(index.place(2000))).toEqual(placeOf(index.get(2000))); // its chunk is in memory now
    index.deleteFrom(1500);
    expect(index.place(2000)).toBeNull();
    expect(placeOf(index.place(1499))).toEqual(placeOf(index.get(1499)));
    // A follower's truncation, then the leader's records at the same offsets, elsewhere.
    index.add(frames(1500, 1000, 1500, 0));
    for (let i = 0; i < 2; i++) expect(placeOf(index.place(2000))).toEqual(placeOf(index.get(2000)));
    expect(index.place(2000)?.segment).toBe(1500);
  });

  test("entries removed below an offset are not answered from memory", () => {
    const index = openIndex();
    index.add(frames(0, 3000, 0));
    for (const o of [100, 100, 1040, 1040]) expect(index.place(o)).not.toBeNull();
    index.deleteBelow(1030);
    expect(index.place(100)).toBeNull();
    expect(index.place(1029)).toBeNull();
    expect(placeOf(index.place(1030))).toEqual(placeOf(index.get(1030)));
    expect(placeOf(index.place(1040))).toEqual(placeOf(index.get(1040)));
  });
});

describe("IndexChunks", () => {
  /** A loader over fixed groups that counts its queries. */
  function loaderOver(groups: LoadedGroup[]): { load: (from: number, to: number) => LoadedGroup[]; calls: number } {
    const state = {
      calls: 0,
      load: (from: number, to: number) => {
        state.calls++;
        return groups.filter((g) => g.base >= from && g.base < to);
      },
    };
    return state;
  }

  /** Groups of GROUP_ENTRIES frames of 100 bytes from offset 0, `count` of them. */
  function fullGroups(count: number): LoadedGroup[] {
    return Array.from({ length: count }, (_, i) => {
      const ends = new Uint8Array(GROUP_ENTRIES * 4);
      const view = new DataView(ends.buffer);
      for (let k = 0; k < GROUP_ENTRIES; k++) view.setUint32(k * 4, (k + 1) * 100, true);
      return { base: i * GROUP_ENTRIES, last: (i + 1) * GROUP_ENTRIES - 1, segment: 0, position: i * GROUP_ENTRIES * 100, ends };
    });
  }

  test("a chunk is loaded in one query on its second lookup (the first is the index's); offsets in it are then answered from memory", () => {
    const source = loaderOver(fullGroups(100));
    const chunks = new IndexChunks(source.load, new IndexChunkBudget(1 << 20));
    expect(chunks.place(5)).toBeNull();
    expect(source.calls).toBe(0);
    expect(chunks.place(7)).toEqual({ segment: 0, position: 700, length: 100 });
    for (let o = 0; o < CHUNK_OFFSETS; o++) expect(chunks.place(o)).toEqual({ segment: 0, position: o * 100, length: 100 });
    expect(source.calls).toBe(1);
    expect(chunks.place(CHUNK_OFFSETS + 3)).toBeNull();
    expect(chunks.place(CHUNK_OFFSETS + 3)).toEqual({ segment: 0, position: (CHUNK_OFFSETS + 3) * 100, length: 100 });
    expect(source.calls).toBe(2);
  });

  test("lookups scattered over more chunks than it remembers load none: each goes to the index as before", () => {
    const source = loaderOver(fullGroups(40_000));
    const budget = new IndexChunkBudget(1 << 20);
    const chunks = new IndexChunks(source.load, budget);
    // As many misses are remembered as the budget holds chunks of batched records.
    expect(budget.missesKept).toBe(186);
    // 200 distinct chunks, each looked up once, then the first ones again: forgotten
    // once 186 were held, so they are first lookups again.
    for (let k = 0; k < 200; k++) expect(chunks.place(k * CHUNK_OFFSETS)).toBeNull();
    for (let k = 0; k < 100; k++) expect(chunks.place(k * CHUNK_OFFSETS)).toBeNull();
    expect(source.calls).toBe(0);
  });

  test("lookups scattered over as many chunks as the budget holds load each on its second lookup", () => {
    // 6M records of a batch producer: 5,860 chunks, which the default 64 MiB holds. A
    // fixed 1,024 misses remembered forgot most chunks before their second lookup, and
    // reads at random offsets stayed in sqlite.
    const groups = fullGroups(6_000_000 / GROUP_ENTRIES);
    // Groups start every GROUP_ENTRIES offsets: the range's are found by position, not by a scan of 187,500.
    const source = {
      calls: 0,
      load: (from: number, to: number): LoadedGroup[] => {
        source.calls++;
        return groups.slice(Math.max(0, Math.ceil(from / GROUP_ENTRIES)), Math.ceil(to / GROUP_ENTRIES));
      },
    };
    const budget = new IndexChunkBudget(64 * 1024 * 1024);
    const chunks = new IndexChunks(source.load, budget);
    const keys = Array.from({ length: 5860 }, (_, k) => k);
    for (const k of keys) expect(chunks.place(k * CHUNK_OFFSETS + 1)).toBeNull();
    for (const k of keys) expect(chunks.place(k * CHUNK_OFFSETS + 1)).toEqual({ segment: 0, position: (k * CHUNK_OFFSETS + 1) * 100, length: 100 });
    expect([source.calls, chunks.size]).toEqual([5860, 5860]);
    expect(budget.used).toBeLessThanOrEqual(budget.limitBytes);
  });

  test("every offset of groups of random sizes, with gaps and segment changes (seeded), is found from memory at its exact place", () => {
    // A chunk's group is guessed from its span; a guess is wrong wherever sizes differ.
    let seed = 20261207;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      // The high bits: an LCG's low bits repeat with a short period.
      return (seed >>> 16) % n;
    };
    const groups: LoadedGroup[] = [];
    const expected = new Map<number, FramePlace>();
    let offset = 0;
    let segment = 0;
    let position = 0;
    while (offset < 8 * CHUNK_OFFSETS) {
      // Mostly full groups, some of one record (a producer sending one at a time), any size between.
      const pick = next(4);
      const size = pick === 0 ? 1 : pick === 1 ? 1 + next(GROUP_ENTRIES) : GROUP_ENTRIES;
      const ends = new Uint8Array(size * 4);
      const view = new DataView(ends.buffer);
      let end = 0;
      for (let k = 0; k < size; k++) {
        const length = 30 + next(200);
        expected.set(offset + k, { segment, position: position + end, length });
        end += length;
        view.setUint32(k * 4, end, true);
      }
      groups.push({ base: offset, last: offset + size - 1, segment, position, ends });
      offset += size;
      position += end;
      if (next(12) === 0) offset += 1 + next(300);
      if (next(10) === 0) {
        segment = offset;
        position = 0;
      }
    }
    const source = loaderOver(groups);
    const chunks = new IndexChunks(source.load, new IndexChunkBudget(1 << 24));
    for (let o = 0; o <= offset + 2; o++) chunks.place(o);
    for (let o = 0; o <= offset + 2; o++) expect([o, chunks.place(o)]).toEqual([o, expected.get(o) ?? null]);
    expect(source.calls).toBe(Math.ceil((offset + 3) / CHUNK_OFFSETS));
  });

  test("a group starting before its chunk is found for the chunk's first offsets", () => {
    // Groups of 32 from offset 10: the one holding offset 1024 starts at 1002, in the chunk before.
    const groups = fullGroups(40).map((g) => ({ ...g, base: g.base + 10, last: g.last + 10 }));
    const chunks = new IndexChunks(loaderOver(groups).load, new IndexChunkBudget(1 << 20));
    chunks.place(CHUNK_OFFSETS);
    expect(chunks.place(CHUNK_OFFSETS)).toEqual({ segment: 0, position: (CHUNK_OFFSETS - 10) * 100, length: 100 });
    chunks.place(9);
    expect(chunks.place(9)).toBeNull();
  });

  test("the budget holds the chunks of every index together, the least recently used going first", () => {
    const budget = new IndexChunkBudget(8 * 1024);
    const a = loaderOver(fullGroups(400));
    const b = loaderOver(fullGroups(400));
    const first = new IndexChunks(a.load, budget);
    const second = new IndexChunks(b.load, budget);
    // One chunk of 32 groups is 32 * 5 * 8 + 1024 * 4 bytes and a little more: one fits in 8 KiB, not two.
    first.place(0);
    first.place(0);
    expect(first.size).toBe(1);
    second.place(0);
    second.place(0);
    expect(second.size).toBe(1);
    expect(first.size).toBe(0);
    expect(budget.used).toBeLessThanOrEqual(budget.limitBytes);
    expect(first.place(7)).toBeNull();
    expect(first.place(7)).toEqual({ segment: 0, position: 700, length: 100 });
    expect(a.calls).toBe(2);
  });

  test("an append drops only the chunks that may hold its groups", () => {
    const source = loaderOver(fullGroups(100));
    const chunks = new IndexChunks(source.load, new IndexChunkBudget(1 << 20));
    for (const o of [0, 0, CHUNK_OFFSETS * 2 + 1, CHUNK_OFFSETS * 2 + 1]) chunks.place(o);
    expect(chunks.size).toBe(2);
    chunks.changedFrom(CHUNK_OFFSETS * 3 + GROUP_ENTRIES);
    expect(chunks.size).toBe(2);
    // A group holding offset 3 * CHUNK_OFFSETS + 5 may start in the chunk of key 2.
    chunks.changedFrom(CHUNK_OFFSETS * 3 + 5);
    expect(chunks.size).toBe(1);
    chunks.clear();
    expect(chunks.size).toBe(0);
  });
});

describe("PartitionLog reads at random offsets (the index in sqlite and in memory)", () => {
  async function openLog(): Promise<PartitionLog> {
    const d = tempDir("streamnest-index-chunks-log-");
    const log = PartitionLog.open(join(d.path, "demo-0"), { fsync: "never", segmentBytes: 64 * 1024 }, () => {});
    cleanups.push(d.remove, () => log.close());
    return log;
  }

  test("every record read alone comes back as written, across segments, after a truncation and new records in its place", async () => {
    const log = await openLog();
    for (let o = 0; o < 3000; o += 100) await log.append(Array.from({ length: 100 }, (_, i) => recordFor(o + i)));
    log.setHighWatermark(3000);
    for (let o = 2999; o >= 0; o -= 7) expect(log.read(o, 1, 1 << 20)).toEqual([expectedAt(o)]);
    // Every chunk is in memory now; a truncation then records of another epoch at the same offsets.
    log.truncateTo(1200);
    for (let o = 1200; o < 2600; o += 50) await log.append(Array.from({ length: 50 }, (_, i) => recordInEpoch(o + i, 2)));
    log.setHighWatermark(2600);
    for (let o = 1200; o < 2600; o += 3) expect(log.read(o, 1, 1 << 20)).toEqual([{ ...recordInEpoch(o, 2), offset: o }]);
    for (let o = 0; o < 1199; o += 11) expect(log.read(o, 2, 1 << 20)).toEqual([expectedAt(o), expectedAt(o + 1)]);
  });
});
