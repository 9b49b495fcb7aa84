/**
 * An offset index that lives in memory while its log is small, and in sqlite (offset-index.ts)
 * once the log outgrows CORE_LIMITS.memoryIndexRecords or memoryIndexBytes.
 *
 * Why: creating the sqlite file (open, journal, WAL, schema, statements) was most of
 * what a first write to a partition cost, and a batch spread over 10,000 new partitions
 * makes 3,333 on each of three brokers (issue 14); reopening a log closed to make room
 * (--max-open-partitions) costs the same again. A small log has no index.sqlite at all.
 *
 * Why it is safe: the index is derived state (DESIGN.md, "Data on disk"): the log is the
 * truth and recovery re-reads whatever the index lacks, from the end of its last row. A
 * log with no index file is re-read from its start on open, which costs at most the
 * limit above in bytes, so the startup cost stays bounded by a constant, not by the log.
 */
import { CORE_LIMITS } from "../config/core.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { FramePlace } from "./index-chunks.ts";
import { type IndexEntry, type IndexStore, type OffsetIndex, openOffsetIndex } from "./offset-index.ts";

const MEMORY_RECORDS = CORE_LIMITS.memoryIndexRecords.value;
const MEMORY_BYTES = CORE_LIMITS.memoryIndexBytes.value;

/** Whether a log whose index file is missing is small enough never to have had one. */
export function fitsInMemory(logBytes: number): boolean {
  return logBytes <= MEMORY_BYTES;
}

export class DeferredIndex implements IndexStore {
  /** Ascending by offset while in memory; null once the rows moved to sqlite. */
  private rows: IndexEntry[] | null = [];
  /** Frame bytes the rows in memory cover. */
  private bytes = 0;
  private sqlite: OffsetIndex | null = null;
  /** No index file existed: every record of the log is read again on open. */
  readonly fresh = true;

  constructor(
    private readonly path: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** Whether the rows are in sqlite now (for tests and stats). */
  get onDisk(): boolean {
    return this.sqlite !== null;
  }

  add(entries: IndexEntry[]): void {
    if (this.sqlite) return this.sqlite.add(entries);
    if (entries.length === 0) return;
    const rows = this.rows as IndexEntry[];
    let previous = rows.length === 0 ? -1 : rows[rows.length - 1].offset;
    let bytes = this.bytes;
    for (const e of entries) {
      // The sqlite index refuses an offset at or below its last one; so does this.
      if (e.offset <= previous)
        throw new StreamNestError("STORAGE_ERROR", `index of ${this.path}: offset ${e.offset} added after offset ${previous}`);
      previous = e.offset;
      bytes += e.length;
    }
    if (rows.length + entries.length <= MEMORY_RECORDS && bytes <= MEMORY_BYTES) {
      for (const e of entries) rows.push(e);
      this.bytes = bytes;
      return;
    }
    // Outgrown: every row goes to a new sqlite index in one transaction. On failure the
    // memory rows stay as they were, and the caller undoes its write (group-write.ts).
    const sqlite = openOffsetIndex(this.path, this.warn, () => false);
    try {
      sqlite.deleteFrom(Number.MIN_SAFE_INTEGER);
      sqlite.add(rows.concat(entries));
    } catch (error) {
      sqlite.close();
      throw error;
    }
    this.sqlite = sqlite;
    this.rows = null;
    this.bytes = 0;
  }

  range(from: number, to: number, limit: number): IndexEntry[] {
    if (this.sqlite) return this.sqlite.range(from, to, limit);
    const rows = this.rows as IndexEntry[];
    const found: IndexEntry[] = [];
    for (let i = this.firstAtOrAbove(from); i < rows.length && rows[i].offset < to && found.length < limit; i++) found.push(rows[i]);
    return found;
  }

  get(offset: number): IndexEntry | null {
    if (this.sqlite) return this.sqlite.get(offset);
    const rows = this.rows as IndexEntry[];
    const i = this.firstAtOrAbove(offset);
    return i < rows.length && rows[i].offset === offset ? rows[i] : null;
  }

  place(offset: number): FramePlace | null {
    return this.sqlite ? this.sqlite.place(offset) : this.get(offset);
  }

  last(): IndexEntry | null {
    if (this.sqlite) return this.sqlite.last();
    const rows = this.rows as IndexEntry[];
    return rows.length === 0 ? null : rows[rows.length - 1];
  }

  deleteFrom(offset: number): void {
    if (this.sqlite) return this.sqlite.deleteFrom(offset);
    const rows = this.rows as IndexEntry[];
    for (const gone of rows.splice(this.firstAtOrAbove(offset))) this.bytes -= gone.length;
  }

  deleteBelow(offset: number): void {
    if (this.sqlite) return this.sqlite.deleteBelow(offset);
    const rows = this.rows as IndexEntry[];
    for (const gone of rows.splice(0, this.firstAtOrAbove(offset))) this.bytes -= gone.length;
  }

  firstEndingPast(from: number, to: number, size: number): number | null {
    if (this.sqlite) return this.sqlite.firstEndingPast(from, to, size);
    for (const e of this.range(from, to, Number.MAX_SAFE_INTEGER)) if (e.position + e.length > size) return e.offset;
    return null;
  }

  maxTimestamp(from: number, to: number): number | null {
    if (this.sqlite) return this.sqlite.maxTimestamp(from, to);
    let newest: number | null = null;
    for (const e of this.range(from, to, Number.MAX_SAFE_INTEGER)) if (newest === null || e.timestamp > newest) newest = e.timestamp;
    return newest;
  }

  sizeBytes(): number {
    return this.sqlite ? this.sqlite.sizeBytes() : 0;
  }

  close(): void {
    // Rows in memory go with the log object: the next open reads them again from the log.
    this.sqlite?.close();
    this.rows = [];
    this.bytes = 0;
  }

  /** Position of the first row in memory with an offset at or above `offset` (binary search). */
  private firstAtOrAbove(offset: number): number {
    const rows = this.rows as IndexEntry[];
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rows[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
