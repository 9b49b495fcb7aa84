/**
 * An offset index whose newest entries wait in memory and go to the store below (sqlite,
 * or memory while the log is small: deferred-index.ts) CORE_LIMITS.indexWriteBehindEntries
 * at a time, in one transaction, instead of one sqlite statement per write group.
 *
 * Why: a follower appends what each replica fetch brings, a few records a round under
 * single-message produces, and each append was an INSERT of its own (its own commit to
 * the WAL): about a tenth of a follower's CPU under acks=all load, and a twentieth of
 * the leader's.
 *
 * Why it is safe: the index is derived state (DESIGN.md, "Data on disk"). The log is the
 * truth, and recovery re-reads whatever the index lacks, from the end of its last row; a
 * crash loses at most the entries waiting here, which the next open reads again from the
 * segments (at most the limit above). Every question is answered as if the entries were
 * in the store: from memory for the entries waiting, from the store for the rest.
 */
import { CORE_LIMITS } from "../config/core.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { FramePlace } from "./index-chunks.ts";
import type { IndexEntry, IndexStore } from "./offset-index.ts";

export class WriteBehindIndex implements IndexStore {
  /** Entries not yet in the store, ascending and consecutive after its last. */
  private waiting: IndexEntry[] = [];
  /** The last offset indexed, waiting or stored (-Infinity: none); undefined until asked of the store. */
  private lastOffset: number | undefined;

  constructor(
    private readonly store: IndexStore,
    private readonly warn: (message: string) => void,
    private readonly batchEntries: number = CORE_LIMITS.indexWriteBehindEntries.value,
  ) {}

  get fresh(): boolean {
    return this.store.fresh;
  }

  /** Entries waiting for the store (for tests). */
  get waitingEntries(): number {
    return this.waiting.length;
  }

  /**
   * Adds entries, all or none, as the store does: offsets must ascend above the last one
   * indexed. When the entries waiting reach the batch, all go to the store at once; if
   * that fails, these are not added and those waiting before stay waiting.
   */
  add(entries: IndexEntry[]): void {
    if (entries.length === 0) return;
    let previous = (this.lastOffset ??= this.store.last()?.offset ?? Number.NEGATIVE_INFINITY);
    for (const e of entries) {
      if (!(e.offset > previous)) throw new StreamNestError("STORAGE_ERROR", `offset index: offset ${e.offset} added after offset ${previous}`);
      previous = e.offset;
    }
    if (this.waiting.length + entries.length < this.batchEntries) {
      for (const e of entries) this.waiting.push(e);
    } else {
      this.store.add(this.waiting.length === 0 ? entries : this.waiting.concat(entries));
      this.waiting = [];
    }
    this.lastOffset = previous;
  }

  /** Moves the entries waiting to the store. */
  flush(): void {
    if (this.waiting.length === 0) return;
    this.store.add(this.waiting);
    this.waiting = [];
  }

  range(from: number, to: number, limit: number): IndexEntry[] {
    [from, to] = [Math.ceil(from), Math.ceil(to)];
    const first = this.waiting[0]?.offset;
    if (first === undefined || to <= first) return this.store.range(from, to, limit);
    const out = from < first ? this.store.range(from, first, limit) : [];
    for (let i = this.indexOf(Math.max(from, first)); i < this.waiting.length && out.length < limit; i++) {
      const e = this.waiting[i];
      if (e.offset >= to) break;
      out.push(e);
    }
    return out;
  }

  get(offset: number): IndexEntry | null {
    const first = this.waiting[0]?.offset;
    if (first === undefined || offset < first) return this.store.get(offset);
    const e = this.waiting[this.indexOf(offset)];
    return e !== undefined && e.offset === offset ? e : null;
  }

  place(offset: number): FramePlace | null {
    const first = this.waiting[0]?.offset;
    if (first === undefined || offset < first) return this.store.place(offset);
    const e = this.get(offset);
    return e === null ? null : { segment: e.segment, position: e.position, length: e.length };
  }

  last(): IndexEntry | null {
    return this.waiting.at(-1) ?? this.store.last();
  }

  deleteFrom(offset: number): void {
    const first = this.waiting[0]?.offset;
    if (first !== undefined && offset > first) {
      this.waiting = this.waiting.slice(0, this.indexOf(Math.ceil(offset)));
    } else {
      this.waiting = [];
      this.store.deleteFrom(offset);
    }
    this.lastOffset = undefined;
  }

  deleteBelow(offset: number): void {
    this.flush();
    this.store.deleteBelow(offset);
    this.lastOffset = undefined;
  }

  firstEndingPast(from: number, to: number, size: number): number | null {
    this.flush();
    return this.store.firstEndingPast(from, to, size);
  }

  maxTimestamp(from: number, to: number): number | null {
    this.flush();
    return this.store.maxTimestamp(from, to);
  }

  sizeBytes(): number {
    return this.store.sizeBytes();
  }

  /**
   * Stores the entries waiting, then closes the store. If they cannot be stored the
   * store is closed all the same, without throwing (a log's close must finish, or its
   * folder stays held): the next open reads them again from the log.
   */
  close(): void {
    const waiting = this.waiting.length;
    try {
      this.flush();
    } catch (error) {
      this.warn(`the offset index entries of the last ${waiting} records could not be stored (${error instanceof Error ? error.message : String(error)}); the next open reads them again from the log`);
    } finally {
      this.waiting = [];
      this.store.close();
    }
  }

  /** The index in `waiting` of the first entry at or after `offset` (its length if none). */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.waiting[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
