import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { INDEX_FORMAT, openIndexDatabase } from "../../src/storage/index-database.ts";
import { OffsetIndex } from "../../src/storage/offset-index.ts";
import { tempDir } from "./fixtures/records.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function indexPath(): string {
  const d = tempDir("streamnest-index-db-");
  cleanups.push(d.remove);
  return join(d.path, "index.sqlite");
}

const entry = (offset: number) => ({ offset, segment: 0, position: offset * 10, length: 10, timestamp: 5 });

function tables(path: string): unknown[] {
  const db = new Database(path);
  try {
    return db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all();
  } finally {
    db.close();
  }
}

describe("index.sqlite on open", () => {
  test("a new or empty file gets the table and the format, and is fresh until reopened", () => {
    const path = indexPath();
    writeFileSync(path, "");
    const first = openIndexDatabase(path);
    expect([first.fresh, first.olderFormat]).toEqual([true, false]);
    expect(first.db.query("PRAGMA user_version").get()).toEqual({ user_version: INDEX_FORMAT });
    first.db.close();
    const again = openIndexDatabase(path);
    expect([again.fresh, again.olderFormat]).toEqual([false, false]);
    again.db.close();
    expect(tables(path)).toEqual([{ name: "entry_groups" }]);
  });

  test("a file of the older format (a row per record) is deleted on open: the index starts fresh", () => {
    const path = indexPath();
    const db = new Database(path, { create: true });
    db.run("PRAGMA journal_mode = WAL");
    db.run(
      "CREATE TABLE records (offset INTEGER PRIMARY KEY, segment INTEGER NOT NULL, position INTEGER NOT NULL, " +
        "length INTEGER NOT NULL, timestamp INTEGER NOT NULL)",
    );
    for (let o = 0; o < 50; o++) db.run("INSERT INTO records VALUES (?, 0, ?, 10, 5)", [o, o * 10]);
    db.close();
    const index = new OffsetIndex(path);
    expect([index.fresh, index.olderFormat]).toEqual([true, true]);
    expect(index.last()).toBeNull();
    index.add([entry(0), entry(1), entry(2)]);
    index.close();
    const reopened = new OffsetIndex(path);
    expect([reopened.fresh, reopened.olderFormat]).toEqual([false, false]);
    expect(reopened.range(0, 100, 100)).toEqual([entry(0), entry(1), entry(2)]);
    reopened.close();
    expect(tables(path)).toEqual([{ name: "entry_groups" }]);
  });

  test("a file of another format number (a later layout of groups) is started anew too", () => {
    const path = indexPath();
    const index = new OffsetIndex(path);
    index.add([entry(0)]);
    index.close();
    const db = new Database(path);
    db.run(`PRAGMA user_version = ${INDEX_FORMAT + 1}`);
    db.close();
    const reopened = new OffsetIndex(path);
    expect([reopened.fresh, reopened.olderFormat]).toEqual([true, true]);
    expect(reopened.last()).toBeNull();
    reopened.close();
  });
});
