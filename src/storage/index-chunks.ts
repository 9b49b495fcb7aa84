/**
 * Where each frame of a stretch of the sqlite offset index lies, kept in memory for the
 * reads that land at random offsets (a consumer going back, many consumers at their own
 * offsets): the sqlite point lookup they replace was most of such a read, 6–7 µs of 11
 * on a 5M-record log whose database outgrew sqlite's page cache (strace under wrk: an
 * fstat and one or two 4 KiB preads per lookup), against ~1.2 µs here.
 *
 * The index is loaded a chunk at a time: every group (index-group.ts) whose base lies in
 * a window of CHUNK_OFFSETS offsets, in one range query (~20 µs for the 32 groups of
 * 1,024 batched records; ~300 µs where each record is a group of its own, as a producer
 * sending one record at a time writes), so a reader moving through a region pays one
 * query per chunk. A chunk is loaded on its second lookup, the first going to sqlite as
 * before: reads scattered over more of the index than the budget holds then cost what
 * they did, not a chunk load each.
 * A chunk keeps each frame's end (4 bytes a record) and each group's segment and
 * position, so a lookup answers exactly what the sqlite row does (position and length),
 * not a guess to be walked to: a record is never searched for inside other records'
 * bytes. The chunks of every index of the process share one budget
 * (CORE_LIMITS.indexChunkBytes), the least recently used going first.
 *
 * The index is the only writer of its rows and tells its chunks of every change
 * (changedFrom, clear), so nothing here outlives the row it came from.
 */
import { CORE_LIMITS } from "../config/core.ts";
import { GROUP_ENTRIES } from "./index-group.ts";
import { type BudgetItem, MemoryBudget } from "./memory-budget.ts";

/** Offsets a chunk covers (by the base of its groups). */
export const CHUNK_OFFSETS = 1024;
/** Per group: base, last, segment, position, and where its frame ends start in `ends`. */
const GROUP_FIELDS = 5;
/** Bytes counted for a chunk beyond its arrays: its objects and its place in the budget. */
const CHUNK_OVERHEAD_BYTES = 240;
/** The bytes of a chunk of batched records (a group of GROUP_ENTRIES each): 4 bytes a record and little else. */
const BATCHED_CHUNK_BYTES = CHUNK_OFFSETS * 4 + (CHUNK_OFFSETS / GROUP_ENTRIES) * GROUP_FIELDS * 8 + CHUNK_OVERHEAD_BYTES;

/** Where a record's frame lies. */
export interface FramePlace {
  segment: number;
  position: number;
  length: number;
}

/** A group as loaded: `ends` holds the end of each of its frames, relative to `position` (u32 LE, index-group.ts). */
export interface LoadedGroup {
  base: number;
  last: number;
  segment: number;
  position: number;
  ends: Uint8Array;
}

/** Groups with a base in [from, to), ascending by base. */
export type GroupLoader = (from: number, to: number) => LoadedGroup[];

interface Chunk extends BudgetItem {
  readonly owner: IndexChunks;
  readonly key: number;
  /**
   * GROUP_FIELDS numbers a group, in a plain array rather than a Float64Array: what a
   * Float64Array gives is a double to the JIT, and positions and lengths that came out as
   * doubles made the whole walk of a read's frames slower (a read of 1,000 records took
   * 2.5x as long); a plain array of small integers hands back int32s.
   */
  readonly groups: number[];
  readonly ends: Uint32Array;
  readonly bytes: number;
}

/** The bytes the chunks of every index of a process may hold together, the least recently used going first (near enough: memory-budget.ts). */
export class IndexChunkBudget extends MemoryBudget<Chunk> {
  /**
   * Chunks looked up once that an index remembers, to load on their second lookup: as
   * many as the budget holds chunks of batched records (~12,000 for 64 MiB; a set of
   * them is a few hundred KB, only for an index read at random over that many chunks).
   * With a fixed 1,024, reads at random over a 6M-record log (5,900 chunks, all of which
   * fit) mostly forgot a chunk before its second lookup: 3.5 µs a lookup, most of them in
   * sqlite, against 0.5 µs once they were loaded.
   */
  readonly missesKept: number;

  constructor(limitBytes: number) {
    super(limitBytes, (oldest) => oldest.owner.drop(oldest));
    this.missesKept = Math.max(1, Math.floor(limitBytes / BATCHED_CHUNK_BYTES));
  }
}

/** The budget of every offset index of this process. */
export const SHARED_CHUNK_BUDGET = new IndexChunkBudget(CORE_LIMITS.indexChunkBytes.value);

/** The chunks of one offset index. */
export class IndexChunks {
  private readonly chunks = new Map<number, Chunk>();
  /** The highest key held (-Infinity: none): an append past it drops nothing. */
  private highestKey = Number.NEGATIVE_INFINITY;
  /** Keys looked up once and not loaded; forgotten all at once when the budget's missesKept are held. */
  private readonly missed = new Set<number>();

  constructor(
    private readonly load: GroupLoader,
    private readonly budget: IndexChunkBudget = SHARED_CHUNK_BUDGET,
  ) {}

  /**
   * Where the frame of `offset` lies; null when no group holds it, or when its chunk is
   * not in memory and this is its first lookup (ask the index itself).
   */
  place(offset: number): FramePlace | null {
    const key = Math.floor(offset / CHUNK_OFFSETS);
    let chunk = this.chunks.get(key);
    if (chunk === undefined) {
      if (!this.missed.has(key)) {
        if (this.missed.size >= this.budget.missesKept) this.missed.clear();
        this.missed.add(key);
        return null;
      }
      this.missed.delete(key);
      chunk = this.loadChunk(key);
    } else this.budget.touch(chunk);
    const { groups, ends } = chunk;
    const count = groups.length / GROUP_FIELDS;
    if (count === 0 || groups[0] > offset) return null;
    // The group with the greatest base at or below the offset. Its place is guessed from
    // the chunk's span, which is exact when the groups are of one size (a batched
    // producer's, or one record each), and checked with the next group's base; a binary
    // search of what is left follows a wrong guess. A binary search from the start
    // touched five or six cache lines of the chunk per lookup: at random offsets that
    // was 0.59 µs a lookup, against 0.35 µs so (8M offsets, 7,813 chunks).
    let lo = 0;
    let hi = count - 1;
    const span = groups[hi * GROUP_FIELDS + 1] - groups[0] + 1;
    const guess = Math.min(hi, Math.floor(((offset - groups[0]) * count) / span));
    if (groups[guess * GROUP_FIELDS] <= offset) {
      lo = guess;
      if (guess < hi && groups[(guess + 1) * GROUP_FIELDS] > offset) hi = guess;
    } else hi = guess - 1;
    // groups[lo]'s base is at or below the offset throughout.
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (groups[mid * GROUP_FIELDS] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const at = lo * GROUP_FIELDS;
    if (groups[at + 1] < offset) return null;
    const k = offset - groups[at];
    const first = groups[at + 4];
    const start = k === 0 ? 0 : ends[first + k - 1];
    return { segment: groups[at + 2], position: groups[at + 3] + start, length: ends[first + k] - start };
  }

  /** Rows with a base at or above `offset` changed (an append, a truncation): the chunks that may hold them go. */
  changedFrom(offset: number): void {
    // A group holding `offset` starts above offset - GROUP_ENTRIES, and a chunk holds
    // every group that may hold one of its offsets (loadChunk).
    const from = Math.floor((offset - GROUP_ENTRIES) / CHUNK_OFFSETS);
    if (from > this.highestKey) return;
    for (const chunk of [...this.chunks.values()]) if (chunk.key >= from) this.drop(chunk);
    this.highestKey = Number.NEGATIVE_INFINITY;
    for (const key of this.chunks.keys()) this.highestKey = Math.max(this.highestKey, key);
  }

  /** Every chunk goes (rows removed below an offset, the index closed). */
  clear(): void {
    for (const chunk of [...this.chunks.values()]) this.drop(chunk);
    this.highestKey = Number.NEGATIVE_INFINITY;
  }

  /** Chunks held. */
  get size(): number {
    return this.chunks.size;
  }

  drop(chunk: Chunk): void {
    if (this.chunks.get(chunk.key) === chunk) this.chunks.delete(chunk.key);
    this.budget.remove(chunk);
  }

  /** The chunk of `key`: every group that may hold an offset in [key, key + 1) × CHUNK_OFFSETS. */
  private loadChunk(key: number): Chunk {
    const from = key * CHUNK_OFFSETS;
    const loaded = this.load(from - GROUP_ENTRIES + 1, from + CHUNK_OFFSETS);
    let frames = 0;
    for (const g of loaded) frames += g.last - g.base + 1;
    const groups: number[] = new Array<number>(loaded.length * GROUP_FIELDS).fill(0);
    const ends = new Uint32Array(frames);
    let next = 0;
    loaded.forEach((g, i) => {
      const at = i * GROUP_FIELDS;
      groups[at] = g.base;
      groups[at + 1] = g.last;
      groups[at + 2] = g.segment;
      groups[at + 3] = g.position;
      groups[at + 4] = next;
      const b = g.ends;
      for (let k = 0; k <= g.last - g.base; k++, next++) {
        const j = k * 4;
        ends[next] = (b[j] | (b[j + 1] << 8) | (b[j + 2] << 16) | (b[j + 3] << 24)) >>> 0;
      }
    });
    const chunk: Chunk = { owner: this, key, groups, ends, bytes: groups.length * 8 + ends.byteLength + CHUNK_OVERHEAD_BYTES, touched: false, slot: -1 };
    this.chunks.set(key, chunk);
    this.highestKey = Math.max(this.highestKey, key);
    this.budget.add(chunk);
    return chunk;
  }
}
