/**
 * Opening index.sqlite (offset-index.ts): the connection's settings, and the table, made
 * in a new file or one whose index is of an older format.
 */
import { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { StreamNestError } from "../lib/errors.ts";

/**
 * Written to PRAGMA user_version with the table. Any other value in a file holding tables
 * (0: the table of one row per record, before groups) is an older format, dropped and
 * rebuilt from the log. Change it with the row layout or GROUP_ENTRIES (queries rely on a
 * group spanning at most GROUP_ENTRIES offsets).
 */
export const INDEX_FORMAT = 1;

/**
 * Opens the database at `path`, making the table in a new or empty file. A file holding
 * an index of an older format (any other tables, or another INDEX_FORMAT) is deleted and
 * started anew: its rows are derived state (DESIGN.md, "Data on disk"), re-read from the
 * log by recovery, and deleting the files is quicker than dropping a large table.
 */
export function openIndexDatabase(path: string, replaced = false): { db: Database; fresh: boolean; olderFormat: boolean } {
  const db = new Database(path, { create: true, strict: true });
  try {
    // Only one log may have a partition folder open: PartitionLog.open refuses a second
    // one in this process, and this lock refuses one in another process. Held
    // exclusively, WAL keeps its wal-index in heap memory and a statement takes no file
    // lock: a point lookup costs ~1.3 µs instead of ~3.5 µs (bun:sqlite, 200k rows).
    db.run("PRAGMA locking_mode = EXCLUSIVE");
    // Before the switch to WAL: on a new file that switch is a rollback-journal commit,
    // which synchronous=FULL (the default) flushes to the device twice; it was three
    // quarters of creating a partition log (measured ~20 ms of ~26 on a loaded disk),
    // and a batch over 10,000 new partitions creates 3,333 per broker (issue 14).
    db.run("PRAGMA synchronous = OFF");
    db.run("PRAGMA journal_mode = WAL");
    const format = valueOf(db, "PRAGMA user_version");
    const tables = valueOf(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'");
    if (format === INDEX_FORMAT && tables > 0) return { db, fresh: false, olderFormat: false };
    if (tables === 0) {
      db.transaction(() => {
        db.run(
          "CREATE TABLE entry_groups (" +
            "base INTEGER PRIMARY KEY, last INTEGER NOT NULL, segment INTEGER NOT NULL, " +
            "position INTEGER NOT NULL, max_ts INTEGER NOT NULL, entries BLOB NOT NULL)",
        );
        db.run(`PRAGMA user_version = ${INDEX_FORMAT}`);
      })();
      return { db, fresh: true, olderFormat: replaced };
    }
  } catch (error) {
    db.close();
    throw error;
  }
  // An older format: its files go, and the index starts over in new ones.
  db.close();
  if (replaced) throw new StreamNestError("STORAGE_ERROR", `${path} still holds tables after it was deleted`);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  return openIndexDatabase(path, true);
}

/** The one number a query answers, its statement finalized (see OffsetIndex.close). */
function valueOf(db: Database, sql: string): number {
  const statement = db.prepare<Record<string, number>, []>(sql);
  try {
    return Number(statement.values()[0]?.[0] ?? 0);
  } finally {
    statement.finalize();
  }
}
