import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { sizeRecord } from "../../src/storage/record-codec.ts";
import { segmentFileName } from "../../src/storage/segment.ts";
import type { LogOptions } from "../../src/storage/types.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";
import { verifyLogFiles } from "./fixtures/verify-log.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function workDir(): string {
  const dir = tempDir("streamnest-recovery-");
  cleanups.push(dir.remove);
  return dir.path;
}

/** Opens, checks and closes; returns the warnings recovery gave. */
function withLog<T>(path: string, body: (log: PartitionLog, warnings: string[]) => T, options: Partial<LogOptions> = {}): Promise<T> {
  const warnings: string[] = [];
  const log = PartitionLog.open(path, { fsync: "never", ...options }, (m) => warnings.push(m));
  return Promise.resolve(body(log, warnings)).finally(() => log.close());
}

async function build(path: string, count: number, options: Partial<LogOptions> = {}): Promise<void> {
  const log = PartitionLog.open(path, { fsync: "never", ...options });
  for (let o = 0; o < count; o += 5) {
    await log.append(Array.from({ length: Math.min(5, count - o) }, (_, i) => recordFor(o + i)));
  }
  await log.close();
}

function all(log: PartitionLog): ReturnType<PartitionLog["read"]> {
  return log.endOffset === log.startOffset ? [] : log.read(log.startOffset, 1_000_000, 1_000_000_000);
}

const range = (from: number, to: number): ReturnType<typeof expectedAt>[] =>
  Array.from({ length: to - from }, (_, i) => expectedAt(from + i));

function segments(path: string): string[] {
  return readdirSync(path).filter((n) => n.endsWith(".log")).sort();
}

/** Byte position of `offset` within its segment, from the frame sizes (frames are contiguous). */
function positionIn(base: number, offset: number): number {
  let position = 0;
  for (let o = base; o < offset; o++) position += sizeRecord(recordFor(o)).frameBytes;
  return position;
}

async function codeOf(action: () => unknown): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (error instanceof StreamNestError) return error.code;
    throw error;
  }
  return "no error";
}

describe("recovery of a torn tail", () => {
  for (const variant of [
    { name: "index kept (index ahead of the log)", keepIndex: true, segmentBytes: 1 << 20 },
    { name: "index deleted (rebuilt from the log)", keepIndex: false, segmentBytes: 1 << 20 },
    { name: "index kept, several segments", keepIndex: true, segmentBytes: 600 },
  ]) {
    test(`truncating the last segment at every byte of its last record: ${variant.name}`, async () => {
      const root = workDir();
      const source = join(root, "source");
      const count = 12;
      await build(source, count, { segmentBytes: variant.segmentBytes });
      const names = segments(source);
      const lastName = names[names.length - 1];
      const lastBase = Number(lastName.slice(0, 20));
      const lastBytes = readFileSync(join(source, lastName));
      const lastStart = positionIn(lastBase, count - 1);
      expect(lastStart + sizeRecord(recordFor(count - 1)).frameBytes).toBe(lastBytes.length);

      for (let cut = lastStart; cut < lastBytes.length; cut++) {
        const path = join(root, `cut-${cut}`);
        mkdirSync(path);
        for (const name of names.slice(0, -1)) copyFileSync(join(source, name), join(path, name));
        writeFileSync(join(path, lastName), lastBytes.subarray(0, cut));
        if (variant.keepIndex) copyFileSync(join(source, "index.sqlite"), join(path, "index.sqlite"));

        await withLog(path, (log, warnings) => {
          expect(log.endOffset).toBe(count - 1);
          expect(all(log)).toEqual(range(0, count - 1));
          if (cut > lastStart) expect(warnings.some((w) => w.includes("torn tail"))).toBe(true);
          return log.append([recordFor(count - 1), recordFor(count)]).then((result) => {
            expect(result).toEqual({ baseOffset: count - 1, lastOffset: count });
          });
        });
        // No torn byte stays between the records: the segment is exactly its frames, and
        // an index rebuilt from the log alone finds them all.
        expect(Bun.file(join(path, lastName)).size).toBe(positionIn(lastBase, count + 1));
        rmSync(join(path, "index.sqlite"));
        rmSync(join(path, "index.sqlite-wal"), { force: true });
        await withLog(path, (log, warnings) => {
          expect(warnings).toEqual([`${join(path, "index.sqlite")} was missing or empty; rebuilding it from the log`]);
          expect(all(log)).toEqual(range(0, count + 1));
        });
        rmSync(path, { recursive: true });
      }
    });
  }

  test("an empty segment rolled after a torn tail is dropped, so offsets stay contiguous", async () => {
    const path = workDir();
    await build(path, 10);
    const end = positionIn(0, 10);
    truncateSync(join(path, segmentFileName(0)), end - 3);
    writeFileSync(join(path, segmentFileName(10)), "");
    await withLog(path, (log) => {
      expect(log.endOffset).toBe(9);
      expect(segments(path)).toEqual([segmentFileName(0)]);
      expect(all(log)).toEqual(range(0, 9));
    });
  });

  test("garbage after the last record (power loss) is cut as a torn tail", async () => {
    const path = workDir();
    await build(path, 10);
    const file = join(path, segmentFileName(0));
    writeFileSync(file, Buffer.concat([readFileSync(file), new Uint8Array(300)]));
    await withLog(path, async (log, warnings) => {
      expect(log.endOffset).toBe(10);
      expect(warnings.some((w) => w.includes("torn tail"))).toBe(true);
      expect((await log.append([recordFor(10)])).baseOffset).toBe(10);
      expect(all(log)).toEqual(range(0, 11));
    });
  });
});

describe("reconciling the index with the log", () => {
  test("index ahead of the log: entries past the log's end are dropped", async () => {
    const path = workDir();
    await build(path, 20);
    truncateSync(join(path, segmentFileName(0)), positionIn(0, 15));
    await withLog(path, async (log, warnings) => {
      expect(log.endOffset).toBe(15);
      expect(warnings.some((w) => w.includes("index was ahead"))).toBe(true);
      expect(all(log)).toEqual(range(0, 15));
      expect(await codeOf(() => log.read(16, 1, 1000))).toBe("OFFSET_OUT_OF_RANGE");
      // New records take the freed offsets; the dropped entries do not shadow them.
      await log.append([recordFor(15), recordFor(16)]);
      expect(all(log)).toEqual(range(0, 17));
    });
  });

  test("index ahead of the log: a whole segment missing at the end", async () => {
    const path = workDir();
    await build(path, 30, { segmentBytes: 800 });
    const names = segments(path);
    expect(names.length).toBeGreaterThan(2);
    const lastBase = Number(names[names.length - 1].slice(0, 20));
    rmSync(join(path, names[names.length - 1]));
    await withLog(path, async (log) => {
      expect(log.endOffset).toBe(lastBase);
      expect(all(log)).toEqual(range(0, lastBase));
      await log.append([recordFor(lastBase)]);
      expect(log.read(lastBase, 1, 1)).toEqual([expectedAt(lastBase)]);
    });
  });

  test("log ahead of the index: records past the index's end are indexed", async () => {
    const path = workDir();
    await build(path, 10, { segmentBytes: 700 });
    copyFileSync(join(path, "index.sqlite"), join(path, "index.backup"));
    await withLog(path, async (log) => {
      for (let o = 10; o < 40; o += 3) await log.append([recordFor(o), recordFor(o + 1), recordFor(o + 2)]);
    }, { segmentBytes: 700 });
    rmSync(join(path, "index.sqlite"));
    copyFileSync(join(path, "index.backup"), join(path, "index.sqlite"));
    expect(segments(path).length).toBeGreaterThan(3);
    await withLog(path, (log, warnings) => {
      expect(warnings).toEqual([]);
      expect(log.endOffset).toBe(40);
      expect(all(log)).toEqual(range(0, 40));
    });
  });

  test("a deleted index is rebuilt from the segments and loses nothing", async () => {
    const path = workDir();
    await build(path, 50, { segmentBytes: 900 });
    rmSync(join(path, "index.sqlite"));
    await withLog(path, async (log, warnings) => {
      // Said once, so an operator knows why this start reads the whole log.
      expect(warnings).toEqual([`${join(path, "index.sqlite")} was missing or empty; rebuilding it from the log`]);
      expect(log.startOffset).toBe(0);
      expect(log.endOffset).toBe(50);
      expect(all(log)).toEqual(range(0, 50));
      expect(log.read(37, 2, 1_000_000)).toEqual(range(37, 39));
      expect((await log.append([recordFor(50)])).baseOffset).toBe(50);
    });
  });
});

describe("corruption in the middle of the log", () => {
  async function flipped(): Promise<string> {
    const path = workDir();
    await build(path, 20);
    const file = join(path, segmentFileName(0));
    const bytes = readFileSync(file);
    bytes[positionIn(0, 10) + 20] ^= 0xff; // inside record 10's body
    writeFileSync(file, bytes);
    return path;
  }

  test("a flipped byte: reads stop at the record with CORRUPT_RECORD, earlier records are fine", async () => {
    const path = await flipped();
    await withLog(path, (log, warnings) => {
      expect(log.endOffset).toBe(20);
      expect(log.read(0, 100, 1_000_000)).toEqual(range(0, 10));
      expect(warnings.some((w) => w.includes("corrupt record at offset 10"))).toBe(true);
      expect(log.read(3, 5, 1_000_000)).toEqual(range(3, 8));
      let caught: unknown;
      try {
        log.read(10, 5, 1_000_000);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(StreamNestError);
      expect((caught as StreamNestError).code).toBe("CORRUPT_RECORD");
      expect((caught as StreamNestError).message).toContain("offset 10");
      expect(log.read(11, 100, 1_000_000)).toEqual(range(11, 20));
    });
  });

  test("a flipped byte with the index deleted: the rebuild keeps the records after it", async () => {
    const path = await flipped();
    rmSync(join(path, "index.sqlite"));
    await withLog(path, async (log, warnings) => {
      expect(warnings.some((w) => w.includes("corrupt record at offset 10"))).toBe(true);
      expect(log.endOffset).toBe(20);
      expect(log.read(0, 100, 1_000_000)).toEqual(range(0, 10));
      expect(await codeOf(() => log.read(10, 1, 1_000_000))).toBe("CORRUPT_RECORD");
      expect(log.read(11, 100, 1_000_000)).toEqual(range(11, 20));
      expect((await log.append([recordFor(20)])).baseOffset).toBe(20);
      expect(log.read(19, 5, 1_000_000)).toEqual(range(19, 21));
    });
  });

  test("a corrupt segment in the middle is reported, never truncated away", async () => {
    const path = workDir();
    await build(path, 40, { segmentBytes: 800 });
    const names = segments(path);
    const secondBase = Number(names[1].slice(0, 20));
    const thirdBase = Number(names[2].slice(0, 20));
    const size = Bun.file(join(path, names[1])).size;
    // The second segment loses its tail, as if its last write never reached the disk.
    truncateSync(join(path, names[1]), size - 5);
    rmSync(join(path, "index.sqlite"));
    await withLog(path, (log, warnings) => {
      expect(warnings.some((w) => w.includes("unreadable"))).toBe(true);
      expect(Bun.file(join(path, names[1])).size).toBe(size - 5);
      expect(log.endOffset).toBe(40);
      expect(log.read(secondBase, 1000, 1_000_000)).toEqual(range(secondBase, thirdBase - 1));
      expect(log.read(thirdBase, 1000, 1_000_000)).toEqual(range(thirdBase, 40));
    });
  });
});

describe("an unusable index file", () => {
  test("garbage in index.sqlite is replaced by an index rebuilt from the log", async () => {
    const path = workDir();
    await build(path, 25, { segmentBytes: 900 });
    writeFileSync(join(path, "index.sqlite"), "this is not a sqlite database, just some text that fills a page".repeat(100));
    rmSync(join(path, "index.sqlite-wal"), { force: true });
    rmSync(join(path, "index.sqlite-shm"), { force: true });
    await withLog(path, (log, warnings) => {
      expect(warnings.some((w) => w.includes("rebuilding it from the log"))).toBe(true);
      expect(log.endOffset).toBe(25);
      expect(all(log)).toEqual(range(0, 25));
    });
  });

  test("an index.sqlite of the older format (a row per record) is rebuilt from the log, with a line saying so", async () => {
    const path = workDir();
    await build(path, 60, { segmentBytes: 900 });
    const file = join(path, "index.sqlite");
    rmSync(file);
    const old = new Database(file, { create: true });
    old.run("PRAGMA journal_mode = WAL");
    old.run(
      "CREATE TABLE records (offset INTEGER PRIMARY KEY, segment INTEGER NOT NULL, position INTEGER NOT NULL, " +
        "length INTEGER NOT NULL, timestamp INTEGER NOT NULL)",
    );
    // Rows that would mislead a reader (every record at position 0): none of them may be used.
    for (let o = 0; o < 60; o++) old.run("INSERT INTO records VALUES (?, 0, 0, 10, 0)", [o]);
    old.close();
    await withLog(path, async (log, warnings) => {
      expect(warnings).toEqual([`${file} held an index of an older format; rebuilding it from the log`]);
      expect(log.endOffset).toBe(60);
      expect(all(log)).toEqual(range(0, 60));
      expect(log.read(41, 3, 1_000_000)).toEqual(range(41, 44));
      expect((await log.append([recordFor(60)])).baseOffset).toBe(60);
    });
    await withLog(path, (log, warnings) => {
      expect(warnings).toEqual([]);
      expect(all(log)).toEqual(range(0, 61));
    });
    expect(verifyLogFiles(path).endOffset).toBe(61);
  });
});
