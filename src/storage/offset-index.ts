/**
 * The offset index: offset -> (segment base, position, length, timestamp) in bun:sqlite.
 * A row holds a group of consecutive entries (index-group.ts) under the group's first
 * offset, the INTEGER PRIMARY KEY (the rowid b-tree itself): finding any offset costs one
 * b-tree descent (the greatest base at or below it) and one entry decoded from the row.
 *
 * Bounds are rounded up to whole offsets, so a query answers what a comparison of each
 * record's offset with them would (as the single-row SQL once did).
 *
 * It is derived state: the log is the truth and recovery reconciles the two on open, so
 * the database runs with WAL and synchronous=OFF; a lost index tail is re-read from the log.
 * The database is locked exclusively while the log is open.
 */
import { type Database, type SQLQueryBindings, SQLiteError, type Statement } from "bun:sqlite";
import { rmSync } from "node:fs";
import { StreamNestError } from "../lib/errors.ts";
import { type FramePlace, IndexChunks, type LoadedGroup } from "./index-chunks.ts";
import { openIndexDatabase } from "./index-database.ts";
import {
  collectEntries,
  encodeGroup,
  entryAt,
  firstEndingPastIn,
  GROUP_ENTRIES,
  type GroupRow,
  groupEnd,
  maxTimestampIn,
  sliceGroup,
} from "./index-group.ts";
import { isIndexCorrupt, storageFailure } from "./storage-failure.ts";

const COLUMNS = "base, last, segment, position, max_ts AS maxTs, entries";

/** Most rows fetched at a time by a scan that may stop early (range, firstEndingPast). */
const SCAN_ROWS = 64;

export interface IndexEntry {
  offset: number;
  segment: number;
  position: number;
  length: number;
  timestamp: number;
}

/** What the log asks of its offset index, in sqlite (OffsetIndex) or in memory while small (deferred-index.ts). */
export interface IndexStore {
  /** No index existed: every record must be re-read from the log. */
  readonly fresh: boolean;
  add(entries: IndexEntry[]): void;
  range(from: number, to: number, limit: number): IndexEntry[];
  get(offset: number): IndexEntry | null;
  /** Where the frame of `offset` lies, as get says, from memory when it can be (index-chunks.ts); null when no entry holds it. */
  place(offset: number): FramePlace | null;
  last(): IndexEntry | null;
  deleteFrom(offset: number): void;
  deleteBelow(offset: number): void;
  firstEndingPast(from: number, to: number, size: number): number | null;
  maxTimestamp(from: number, to: number): number | null;
  sizeBytes(): number;
  close(): void;
}

type Row = [number, number, number, number, number, Uint8Array];

export class OffsetIndex implements IndexStore {
  private readonly db: Database;
  /**
   * Statements are prepared when first used, not on open: a partition written once (one
   * of a batch over 10,000 partitions) never runs most of them, and preparing all of
   * them was a tenth of opening its log (issue 14).
   */
  private readonly statements: Statement<unknown, never[]>[] = [];
  private insertStmt?: Statement<unknown, Row>;
  private atOrBelowStmt?: Statement<GroupRow, [number]>;
  private lastStmt?: Statement<GroupRow, []>;
  private scanStmt?: Statement<GroupRow, [number, number, number, number]>;
  private groupsStmt?: Statement<unknown, [number, number]>;
  /** Stretches of the index in memory for reads at random offsets; told of every change to the rows. */
  private readonly chunks = new IndexChunks((from, to) => this.groupsIn(from, to));
  private insertManyTx?: (entries: IndexEntry[]) => void;
  /** The last offset indexed (-Infinity: none), or undefined until read from the file. */
  private lastOffset: number | undefined;
  /** The file held no index (it was missing or empty, or of an older format): every record must be re-read from the log. */
  readonly fresh: boolean;
  /** The file held an index of an older format, deleted on open. */
  readonly olderFormat: boolean;

  constructor(path: string) {
    const opened = openIndexDatabase(path);
    this.db = opened.db;
    this.fresh = opened.fresh;
    this.olderFormat = opened.olderFormat;
  }

  private prepare<R, P extends SQLQueryBindings[]>(sql: string): Statement<R, P> {
    const statement = this.db.prepare<R, P>(sql) as Statement<R, P>;
    this.statements.push(statement as unknown as Statement<unknown, never[]>);
    return statement;
  }

  private insertRow(row: GroupRow): void {
    this.insertStmt ??= this.prepare(
      "INSERT INTO entry_groups (base, last, segment, position, max_ts, entries) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.insertStmt.run(row.base, row.last, row.segment, row.position, row.maxTs, row.entries);
  }

  /** The groups with a base in [from, to), ascending, with their frame ends and no timestamps (index-chunks.ts). */
  private groupsIn(from: number, to: number): LoadedGroup[] {
    this.groupsStmt ??= this.prepare(
      "SELECT base, last, segment, position, substr(entries, 1, (last - base + 1) * 4) FROM entry_groups WHERE base >= ? AND base < ? ORDER BY base",
    );
    const out: LoadedGroup[] = [];
    for (const [base, last, segment, position, ends] of this.groupsStmt.values(from, to) as [number, number, number, number, Uint8Array][]) {
      // A row cut short is left out: its offsets go to get, which decodes the row as it always did.
      if (ends instanceof Uint8Array && ends.length === (last - base + 1) * 4) out.push({ base, last, segment, position, ends });
    }
    return out;
  }

  /** The row with the greatest base at or below `offset`: the one holding it, if any does. */
  private rowAtOrBelow(offset: number): GroupRow | null {
    this.atOrBelowStmt ??= this.prepare(`SELECT ${COLUMNS} FROM entry_groups WHERE base <= ? ORDER BY base DESC LIMIT 1`);
    return this.atOrBelowStmt.get(offset);
  }

  /** The row holding `offset`, or null. */
  private rowHolding(offset: number): GroupRow | null {
    const row = this.rowAtOrBelow(offset);
    return row !== null && row.last >= offset ? row : null;
  }

  private lastRow(): GroupRow | null {
    this.lastStmt ??= this.prepare(`SELECT ${COLUMNS} FROM entry_groups ORDER BY base DESC LIMIT 1`);
    return this.lastStmt.get();
  }

  /**
   * Up to `rows` rows holding any offset in [from, to), ascending, after the row with base
   * `after`; a group spans at most GROUP_ENTRIES offsets, so the first row that can hold
   * `from` has a base above from - GROUP_ENTRIES.
   */
  private scan(from: number, to: number, after: number, rows: number): GroupRow[] {
    this.scanStmt ??= this.prepare(
      `SELECT ${COLUMNS} FROM entry_groups WHERE base > ? AND base < ? AND last >= ? ORDER BY base LIMIT ?`,
    );
    return this.scanStmt.all(Math.max(after, from - GROUP_ENTRIES), to, from, rows);
  }

  private get insertMany(): (entries: IndexEntry[]) => void {
    this.insertManyTx ??= this.db.transaction((entries: IndexEntry[]) => {
      for (let start = 0; start < entries.length; ) {
        const end = groupEnd(entries, start);
        this.insertRow(encodeGroup(entries, start, end));
        start = end;
      }
    });
    return this.insertManyTx;
  }

  /**
   * Adds entries, all or none. Offsets must ascend above the last one indexed (each is
   * indexed once, as a primary key of one row per record once enforced). Existing rows
   * are never rewritten: a group starts with each add.
   */
  add(entries: IndexEntry[]): void {
    if (entries.length === 0) return;
    let previous = (this.lastOffset ??= this.lastRow()?.last ?? Number.NEGATIVE_INFINITY);
    for (const e of entries) {
      if (!(e.offset > previous)) {
        throw new StreamNestError("STORAGE_ERROR", `offset index: offset ${e.offset} added after offset ${previous}`);
      }
      if (!(e.length >= 0 && e.length <= 0xffff_ffff)) {
        throw new StreamNestError("STORAGE_ERROR", `offset index: frame length ${e.length} of offset ${e.offset} is out of range`);
      }
      previous = e.offset;
    }
    this.chunks.changedFrom(entries[0].offset);
    // One row needs no transaction of its own: a statement is atomic.
    if (groupEnd(entries, 0) === entries.length) this.insertRow(encodeGroup(entries, 0, entries.length));
    else this.insertMany(entries);
    this.lastOffset = previous;
  }

  /** Entries with offsets in [from, to), ascending, at most `limit`. */
  range(from: number, to: number, limit: number): IndexEntry[] {
    [from, to] = [Math.ceil(from), Math.ceil(to)];
    const out: IndexEntry[] = [];
    if (from >= to || limit <= 0) return out;
    // Full groups of consecutive offsets need limit / GROUP_ENTRIES rows and one more at
    // the start; gaps or short groups take another round.
    const batch = Math.min(SCAN_ROWS, Math.ceil(limit / GROUP_ENTRIES) + 1);
    for (let after = Number.NEGATIVE_INFINITY; out.length < limit; ) {
      const rows = this.scan(from, to, after, batch);
      for (const row of rows) {
        collectEntries(row, from, to, limit, out);
        if (out.length >= limit) break;
      }
      if (rows.length < batch) break;
      after = rows[rows.length - 1].base;
    }
    return out;
  }

  get(offset: number): IndexEntry | null {
    if (!Number.isInteger(offset)) return null;
    const row = this.rowHolding(offset);
    return row === null ? null : entryAt(row, offset);
  }

  place(offset: number): FramePlace | null {
    if (!Number.isInteger(offset)) return null;
    // Not in memory (no row holds it, or its row was left out as cut short): get answers as it always did.
    return this.chunks.place(offset) ?? this.get(offset);
  }

  last(): IndexEntry | null {
    const row = this.lastRow();
    return row === null ? null : entryAt(row, row.last);
  }

  /** Removes every entry at or above `offset`; the group holding it keeps the entries before it. */
  deleteFrom(offset: number): void {
    offset = Math.ceil(offset);
    const cut = this.rowHolding(offset);
    this.lastOffset = undefined;
    this.chunks.changedFrom(offset);
    if (cut === null || cut.base === offset) {
      this.db.run("DELETE FROM entry_groups WHERE base >= ?", [offset]);
      return;
    }
    const kept = sliceGroup(cut, cut.base, offset);
    this.db.transaction(() => {
      this.db.run("DELETE FROM entry_groups WHERE base >= ?", [offset]);
      this.db.run("UPDATE entry_groups SET last = ?, max_ts = ?, entries = ? WHERE base = ?", [kept.last, kept.maxTs, kept.entries, cut.base]);
    })();
  }

  /** Removes every entry below `offset`; the group holding it keeps the entries from it on, under `offset`. */
  deleteBelow(offset: number): void {
    offset = Math.ceil(offset);
    const cut = this.rowHolding(offset);
    this.lastOffset = undefined;
    this.chunks.clear();
    if (cut === null || cut.base === offset) {
      this.db.run("DELETE FROM entry_groups WHERE base < ?", [offset]);
      return;
    }
    const kept = sliceGroup(cut, offset, cut.last + 1);
    this.db.transaction(() => {
      this.db.run("DELETE FROM entry_groups WHERE base < ?", [offset]);
      this.insertRow(kept);
    })();
  }

  /** The first offset in [from, to) whose record would end past `size` bytes. */
  firstEndingPast(from: number, to: number, size: number): number | null {
    [from, to] = [Math.ceil(from), Math.ceil(to)];
    if (from >= to) return null;
    for (let after = Number.NEGATIVE_INFINITY; ; ) {
      const rows = this.scan(from, to, after, SCAN_ROWS);
      for (const row of rows) {
        const found = firstEndingPastIn(row, from, to, size);
        if (found !== null) return found;
      }
      if (rows.length < SCAN_ROWS) return null;
      after = rows[rows.length - 1].base;
    }
  }

  /** The newest timestamp among offsets [from, to), or null when there are none. */
  maxTimestamp(from: number, to: number): number | null {
    [from, to] = [Math.ceil(from), Math.ceil(to)];
    if (from >= to) return null;
    // Groups wholly inside the range answer from their column; the (at most two) groups
    // across its edges are decoded.
    const inside = this.db
      .query<{ ts: number | null }, [number, number, number]>(
        "SELECT MAX(max_ts) AS ts FROM entry_groups WHERE base >= ? AND base < ? AND last < ?",
      )
      .get(from, to, to);
    let newest = inside?.ts ?? null;
    const low = this.rowHolding(from);
    const high = this.rowHolding(to - 1);
    for (const edge of [low, high !== null && high.base !== low?.base ? high : null]) {
      if (edge === null || (edge.base >= from && edge.last < to)) continue;
      const ts = maxTimestampIn(edge, from, to);
      if (ts !== null && (newest === null || ts > newest)) newest = ts;
    }
    return newest;
  }

  /** Bytes of the database files (main + WAL). */
  sizeBytes(): number {
    const row = this.db
      .query<{ bytes: number }, []>(
        "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()",
      )
      .get();
    return row?.bytes ?? 0;
  }

  /**
   * Closes the database. Never throws: a checkpoint that fails (a full disk, a damaged
   * file) leaves the WAL, which the next open replays, and the index is derived state anyway.
   */
  close(): void {
    this.chunks.clear();
    try {
      // Fold the WAL back so a cleanly closed partition is one file again.
      this.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
      // See above: nothing is lost, and a close must still release the file.
    } finally {
      // A statement left unfinalized keeps the connection, and with it the exclusive
      // lock, alive after close: reopening the folder in this process would find it locked.
      for (const statement of this.statements) statement.finalize();
      this.db.close();
    }
  }
}

/**
 * Opens the index, or starts a new one when the file is not a usable database: the index
 * is derived from the log, so recovery rebuilds whatever is lost. `logHasRecords` says
 * whether a new, empty index means a rebuild worth a line in the log (a slow start).
 * A file that cannot be opened for another reason (a full disk, no permission) is an
 * error, not a reason to delete it.
 */
export function openOffsetIndex(path: string, warn: (message: string) => void, logHasRecords: () => boolean): OffsetIndex {
  let index: OffsetIndex;
  try {
    index = new OffsetIndex(path);
  } catch (error) {
    // Locked means another process has this partition open (say, a second broker given
    // the same data dir): its index is in use, not broken, and must not be replaced.
    if (error instanceof SQLiteError && error.code === "SQLITE_BUSY") {
      throw new StreamNestError("STORAGE_ERROR", `${path} is locked: another process has this partition open`);
    }
    if (!isIndexCorrupt(error)) throw storageFailure(error, `opening ${path}`);
    warn(`${path} is unusable (${error instanceof Error ? error.message : String(error)}); rebuilding it from the log`);
    return replaceOffsetIndex(path);
  }
  if (index.olderFormat) warn(`${path} held an index of an older format; rebuilding it from the log`);
  else if (index.fresh && logHasRecords()) warn(`${path} was missing or empty; rebuilding it from the log`);
  return index;
}

/** Deletes the index files at `path` and starts an empty index there. */
export function replaceOffsetIndex(path: string): OffsetIndex {
  try {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    return new OffsetIndex(path);
  } catch (error) {
    throw storageFailure(error, `rebuilding ${path}`);
  }
}
