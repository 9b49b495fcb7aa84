/**
 * One row of the sqlite offset index (offset-index.ts): a group of up to GROUP_ENTRIES
 * entries with consecutive offsets whose frames lie back to back in one segment.
 *
 * Why groups: one row per record made the index the largest single cost of a batched
 * append (0.32 of 0.56 µs per record, 1000-record batches of 100 B); a row per group
 * turns an add of N entries into ceil(N / GROUP_ENTRIES) rows. Kafka's own offset index
 * is sparse for the same reason; this one stays dense (every offset is found, with its
 * length and timestamp), so reads, truncation and recovery work as they did.
 *
 * Row: base offset (the key), last offset, segment, position of the first frame, the
 * newest timestamp, and a blob:
 *   u32 LE end of frame k, relative to the row's position      x n
 *   then the timestamps: nothing when all equal maxTs (a batch stamped at once, a single
 *   record), or u32 LE (maxTs - timestamp) x n when every such difference is a u32
 *   integer, or else f64 LE timestamp x n (any number, exactly)
 * where n = last - base + 1; the width of the timestamps follows from the blob's size.
 * An entry is decoded in constant time (its start is the end before it), and positions
 * past 4 GiB stay exact (segment-bytes has no maximum): only the group's first position
 * is a column, a 64-bit integer, and a group ends before its span would pass a u32.
 */
import type { IndexEntry } from "./offset-index.ts";

/**
 * Most entries in one row. A point lookup copies the row's blob (4 to 12 bytes an entry) out of
 * sqlite to decode one entry. Measured on a 1M-record index (random get, loaded 2-core
 * machine, CPU µs): 16: 3.6, 32: 3.7, 64: 4.2, 128: 4.5, one row per record: 3.9. At 32
 * a 1000-record append writes 32 rows (0.35 µs a record all told, 64: 0.36), and rows
 * pack a 4 KiB page best (9.1 MB for 1M records; 64: 9.4, 128: 9.6, one per record: 23).
 */
export const GROUP_ENTRIES = 32;

const U32_MAX = 0xffff_ffff;

export interface GroupRow {
  base: number;
  last: number;
  segment: number;
  position: number;
  maxTs: number;
  entries: Uint8Array;
}

/**
 * Index one past the last entry of the group that starts at `start`: entries stay in a
 * group while their offsets follow on, their segment is the same, each frame begins
 * where the one before ended, and the group spans less than 4 GiB.
 */
export function groupEnd(entries: readonly IndexEntry[], start: number): number {
  const first = entries[start];
  const limit = Math.min(entries.length, start + GROUP_ENTRIES);
  let previous = first;
  let end = start + 1;
  for (; end < limit; end++) {
    const e = entries[end];
    if (
      e.offset !== previous.offset + 1 ||
      e.segment !== first.segment ||
      e.position !== previous.position + previous.length ||
      e.position + e.length - first.position > U32_MAX
    )
      break;
    previous = e;
  }
  return end;
}

/** The row of entries[start..end), which groupEnd made a group. */
export function encodeGroup(entries: readonly IndexEntry[], start: number, end: number): GroupRow {
  const n = end - start;
  let maxTs = entries[start].timestamp;
  for (let i = start + 1; i < end; i++) if (entries[i].timestamp > maxTs) maxTs = entries[i].timestamp;
  let width = 0;
  for (let i = start; i < end && width < 8; i++) {
    const delta = maxTs - entries[i].timestamp;
    if (delta !== 0) width = Number.isInteger(delta) && delta <= U32_MAX ? 4 : 8;
  }
  const blob = new Uint8Array(n * (4 + width));
  const first = entries[start];
  const stamps = n * 4;
  for (let k = 0; k < n; k++) {
    const e = entries[start + k];
    putU32(blob, k * 4, e.position + e.length - first.position);
    if (width === 4) putU32(blob, stamps + k * 4, maxTs - e.timestamp);
    else if (width === 8) putF64(blob, stamps + k * 8, e.timestamp);
  }
  return { base: first.offset, last: entries[end - 1].offset, segment: first.segment, position: first.position, maxTs, entries: blob };
}

/*
 * Bytes are read and written one by one rather than through a DataView: a DataView needs
 * the blob's ArrayBuffer, and asking a typed array made by bun:sqlite for its buffer
 * costs more than decoding the entry (measured ~1 µs a lookup).
 */
function putU32(b: Uint8Array, at: number, value: number): void {
  b[at] = value;
  b[at + 1] = value >>> 8;
  b[at + 2] = value >>> 16;
  b[at + 3] = value >>> 24;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

const f64Bytes = new Uint8Array(8);
const f64Value = new Float64Array(f64Bytes.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function putF64(b: Uint8Array, at: number, value: number): void {
  f64Value[0] = value;
  for (let i = 0; i < 8; i++) b[at + i] = f64Bytes[littleEndian ? i : 7 - i];
}

function f64(b: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) f64Bytes[littleEndian ? i : 7 - i] = b[at + i];
  return f64Value[0];
}

/** Reads a row's entries in place. */
class GroupView {
  readonly count: number;
  private readonly blob: Uint8Array;
  /** Bytes of each timestamp: 0, 4 or 8. */
  private readonly width: number;

  constructor(readonly row: GroupRow) {
    this.blob = row.entries;
    this.count = row.last - row.base + 1;
    this.width = this.blob.length / this.count - 4;
  }

  /** End of entry k, relative to the row's position. */
  end(k: number): number {
    return u32(this.blob, k * 4);
  }

  /** Position of entry k in its segment. */
  position(k: number): number {
    return this.row.position + (k === 0 ? 0 : u32(this.blob, (k - 1) * 4));
  }

  timestamp(k: number): number {
    const at = this.count * 4;
    if (this.width === 0) return this.row.maxTs;
    return this.width === 4 ? this.row.maxTs - u32(this.blob, at + k * 4) : f64(this.blob, at + k * 8);
  }
}

/** The entry at `offset`, which lies in [row.base, row.last]. */
export function entryAt(row: GroupRow, offset: number): IndexEntry {
  const group = new GroupView(row);
  const k = offset - row.base;
  const position = group.position(k);
  return { offset, segment: row.segment, position, length: row.position + group.end(k) - position, timestamp: group.timestamp(k) };
}

/** Appends to `out` the row's entries with offsets in [from, to), until `out` holds `limit`. */
export function collectEntries(row: GroupRow, from: number, to: number, limit: number, out: IndexEntry[]): void {
  const group = new GroupView(row);
  const first = Math.max(from, row.base) - row.base;
  const end = Math.min(to, row.last + 1) - row.base;
  let position = group.position(first);
  for (let k = first; k < end && out.length < limit; k++) {
    const next = row.position + group.end(k);
    out.push({ offset: row.base + k, segment: row.segment, position, length: next - position, timestamp: group.timestamp(k) });
    position = next;
  }
}

/** The first offset of the row in [from, to) whose frame ends past `size`, or null. */
export function firstEndingPastIn(row: GroupRow, from: number, to: number, size: number): number | null {
  const group = new GroupView(row);
  const first = Math.max(from, row.base) - row.base;
  const end = Math.min(to, row.last + 1) - row.base;
  for (let k = first; k < end; k++) if (row.position + group.end(k) > size) return row.base + k;
  return null;
}

/** The newest timestamp of the row's entries in [from, to), or null when it has none there. */
export function maxTimestampIn(row: GroupRow, from: number, to: number): number | null {
  const group = new GroupView(row);
  const first = Math.max(from, row.base) - row.base;
  const end = Math.min(to, row.last + 1) - row.base;
  let newest: number | null = null;
  for (let k = first; k < end; k++) {
    const ts = group.timestamp(k);
    if (newest === null || ts > newest) newest = ts;
  }
  return newest;
}

/** The row cut to its entries in [from, to) (which must hold at least one). */
export function sliceGroup(row: GroupRow, from: number, to: number): GroupRow {
  const kept: IndexEntry[] = [];
  collectEntries(row, from, to, Number.MAX_SAFE_INTEGER, kept);
  return encodeGroup(kept, 0, kept.length);
}
