/**
 * The offset index: offset -> (segment base, position, length, timestamp) in bun:sqlite.
 * The offset is the INTEGER PRIMARY KEY (the rowid b-tree itself), so finding any offset
 * costs one b-tree descent however long the log is.
 *
 * It is derived state: the log is the truth and recovery reconciles the two on open, so
 * the database runs with WAL and synchronous=OFF; a lost index tail is re-read from the log.
 * The database is locked exclusively while the log is open.
 */
import { Database, type SQLQueryBindings, SQLiteError, type Statement } from "bun:sqlite";
import { StreamNestError } from "../lib/errors.ts";
import { rmSync } from "node:fs";
import { isIndexCorrupt, storageFailure } from "./storage-failure.ts";

/** Rows per multi-row INSERT, largest first (5 parameters a row, far below SQLite's limit of 32,766). */
const INSERT_BLOCK_ROWS = [64, 8];

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
  last(): IndexEntry | null;
  deleteFrom(offset: number): void;
  deleteBelow(offset: number): void;
  firstEndingPast(from: number, to: number, size: number): number | null;
  maxTimestamp(from: number, to: number): number | null;
  sizeBytes(): number;
  close(): void;
}

export class OffsetIndex implements IndexStore {
  private readonly db: Database;
  /**
   * Statements are prepared when first used, not on open: a partition written once (one
   * of a batch over 10,000 partitions) never runs most of them, and preparing all seven
   * was a tenth of opening its log (issue 14).
   */
  private readonly statements: Statement<unknown, never[]>[] = [];
  private insertStmt?: Statement<unknown, [number, number, number, number, number]>;
  private blocks?: Array<{ rows: number; statement: Statement<unknown, number[]>; params: number[] }>;
  private rangeStmt?: Statement<IndexEntry, [number, number, number]>;
  private lastStmt?: Statement<IndexEntry, []>;
  private entryStmt?: Statement<IndexEntry, [number]>;
  private insertManyTx?: (entries: IndexEntry[]) => void;
  /** The file held no index (it was missing or empty): every record must be re-read from the log. */
  readonly fresh: boolean;

  constructor(path: string) {
    this.db = new Database(path, { create: true, strict: true });
    try {
      // Only one log may have a partition folder open: PartitionLog.open refuses a second
      // one in this process, and this lock refuses one in another process. Held
      // exclusively, WAL keeps its wal-index in heap memory and a statement takes no file
      // lock: a point lookup costs ~1.3 µs instead of ~3.5 µs (bun:sqlite, 200k rows).
      this.db.run("PRAGMA locking_mode = EXCLUSIVE");
      // Before the switch to WAL: on a new file that switch is a rollback-journal commit,
      // which synchronous=FULL (the default) flushes to the device twice; it was three
      // quarters of creating a partition log (measured ~20 ms of ~26 on a loaded disk),
      // and a batch over 10,000 new partitions creates 3,333 per broker (issue 14).
      this.db.run("PRAGMA synchronous = OFF");
      this.db.run("PRAGMA journal_mode = WAL");
      const tableCheck = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'");
      this.fresh = tableCheck.get() === null;
      tableCheck.finalize();
      if (this.fresh)
        this.db.run(
          "CREATE TABLE IF NOT EXISTS records (" +
            "offset INTEGER PRIMARY KEY, segment INTEGER NOT NULL, position INTEGER NOT NULL, " +
            "length INTEGER NOT NULL, timestamp INTEGER NOT NULL)",
        );
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  private prepare<R, P extends SQLQueryBindings[]>(sql: string): Statement<R, P> {
    const statement = this.db.prepare<R, P>(sql) as Statement<R, P>;
    this.statements.push(statement as unknown as Statement<unknown, never[]>);
    return statement;
  }

  private get insertMany(): (entries: IndexEntry[]) => void {
    if (this.insertManyTx) return this.insertManyTx;
    const insert = (this.insertStmt ??= this.prepare(
      "INSERT INTO records (offset, segment, position, length, timestamp) VALUES (?, ?, ?, ?, ?)",
    ));
    this.insertManyTx = this.db.transaction((entries: IndexEntry[]) => {
      let i = 0;
      // Rows go in blocks of 64, then 8, to one statement: each run() is a round trip
      // through the binding, and one per row made the index half of a 1,000-message batch
      // produce (measured 0.49 ms per 1,000 rows one by one, 0.30 ms 64 at a time).
      if (entries.length >= INSERT_BLOCK_ROWS[INSERT_BLOCK_ROWS.length - 1]) {
        for (const { rows, statement, params } of this.insertBlocks()) {
          for (; entries.length - i >= rows; i += rows) {
            for (let j = 0; j < rows; j++) {
              const e = entries[i + j];
              const k = j * 5;
              params[k] = e.offset;
              params[k + 1] = e.segment;
              params[k + 2] = e.position;
              params[k + 3] = e.length;
              params[k + 4] = e.timestamp;
            }
            statement.run(...params);
          }
        }
      }
      for (; i < entries.length; i++) {
        const e = entries[i];
        insert.run(e.offset, e.segment, e.position, e.length, e.timestamp);
      }
    });
    return this.insertManyTx;
  }

  private insertBlocks(): Array<{ rows: number; statement: Statement<unknown, number[]>; params: number[] }> {
    this.blocks ??= INSERT_BLOCK_ROWS.map((rows) => ({
      rows,
      statement: this.prepare<unknown, number[]>(
        "INSERT INTO records (offset, segment, position, length, timestamp) VALUES " +
          Array.from({ length: rows }, () => "(?, ?, ?, ?, ?)").join(", "),
      ),
      params: new Array<number>(rows * 5).fill(0),
    }));
    return this.blocks;
  }

  /** Adds entries in one transaction. */
  add(entries: IndexEntry[]): void {
    if (entries.length > 0) this.insertMany(entries);
  }

  /** Entries with offsets in [from, to), ascending, at most `limit`. */
  range(from: number, to: number, limit: number): IndexEntry[] {
    this.rangeStmt ??= this.prepare(
      "SELECT offset, segment, position, length, timestamp FROM records WHERE offset >= ? AND offset < ? ORDER BY offset LIMIT ?",
    );
    return this.rangeStmt.all(from, to, limit);
  }

  get(offset: number): IndexEntry | null {
    this.entryStmt ??= this.prepare("SELECT offset, segment, position, length, timestamp FROM records WHERE offset = ?");
    return this.entryStmt.get(offset);
  }

  last(): IndexEntry | null {
    this.lastStmt ??= this.prepare("SELECT offset, segment, position, length, timestamp FROM records ORDER BY offset DESC LIMIT 1");
    return this.lastStmt.get();
  }

  /** Removes every entry at or above `offset`. */
  deleteFrom(offset: number): void {
    this.db.run("DELETE FROM records WHERE offset >= ?", [offset]);
  }

  /** Removes every entry below `offset`. */
  deleteBelow(offset: number): void {
    this.db.run("DELETE FROM records WHERE offset < ?", [offset]);
  }

  /** The first offset in [from, to) whose record would end past `size` bytes. */
  firstEndingPast(from: number, to: number, size: number): number | null {
    const row = this.db
      .query<{ offset: number | null }, [number, number, number]>(
        "SELECT MIN(offset) AS offset FROM records WHERE offset >= ? AND offset < ? AND position + length > ?",
      )
      .get(from, to, size);
    return row?.offset ?? null;
  }

  /** The newest timestamp among offsets [from, to), or null when there are none. */
  maxTimestamp(from: number, to: number): number | null {
    const row = this.db
      .query<{ ts: number | null }, [number, number]>(
        "SELECT MAX(timestamp) AS ts FROM records WHERE offset >= ? AND offset < ?",
      )
      .get(from, to);
    return row?.ts ?? null;
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
  if (index.fresh && logHasRecords()) warn(`${path} was missing or empty; rebuilding it from the log`);
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
