import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { sizeRecord } from "../../src/storage/record-codec.ts";
import { segmentFileName } from "../../src/storage/segment.ts";
import { canMountSmallDisk, fillDisk, freeDisk, mountSmallDisk } from "./fixtures/small-disk.ts";
import { expectedAt, recordFor, tempDir } from "./fixtures/records.ts";
import { cleanupsAfterEach } from "../helpers/cleanups.ts";

const cleanups = cleanupsAfterEach();

function workDir(): string {
  const dir = tempDir("streamnest-storage-failure-");
  cleanups.push(dir.remove);
  return dir.path;
}

function open(path: string, warnings: string[] = [], options: { indexBatchEntries?: number } = {}): PartitionLog {
  const log = PartitionLog.open(path, { fsync: "never", ...options }, (m) => warnings.push(m));
  cleanups.push(() => log.close());
  return log;
}

async function failureOf(action: () => unknown): Promise<StreamNestError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof StreamNestError) return error;
    throw error;
  }
  throw new Error("expected a StreamNestError, got success");
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => expectedAt(from + i));

async function appendRange(log: PartitionLog, from: number, to: number): Promise<void> {
  for (let o = from; o < to; o++) await log.append([recordFor(o)]);
}

/** A record of exactly `bytes` encoded bytes, to fit (or not) the room a test made. */
function recordOfSize(bytes: number) {
  const base = { key: null, headers: [], timestamp: 1_700_000_000_000, value: new Uint8Array(0) };
  const overhead = sizeRecord(base).frameBytes;
  return { ...base, value: new Uint8Array(bytes - overhead).fill(0x61) };
}

describe.skipIf(!canMountSmallDisk)("a full disk (tmpfs; needs permission to mount)", () => {
  function smallDisk(): string {
    const disk = mountSmallDisk(1024 * 1024);
    if (disk === null) throw new Error("mounting a tmpfs failed after it had worked");
    cleanups.push(disk.unmount);
    return disk.path;
  }

  test("a segment write that does not fit is refused with STORAGE_FULL, leaves nothing, and works once space is freed", async () => {
    const disk = smallDisk();
    const path = join(disk, "p");
    const warnings: string[] = [];
    const log = open(path, warnings);
    await appendRange(log, 0, 20);
    const segment = join(path, segmentFileName(0));
    const sizeBefore = statSync(segment).size;
    const filler = fillDisk(disk);

    const failure = await failureOf(() => log.append([recordOfSize(64 * 1024)]));
    expect(failure.code).toBe("STORAGE_FULL");
    expect(failure.status).toBe(507);
    expect(failure.retriable).toBe(true);
    expect(failure.message).toBe(
      `append to ${path} failed: the disk is full (ENOSPC: no space left on device, write); free space on it and retry`,
    );
    // A second refusal is answered the same way but said in the log only once.
    expect((await failureOf(() => log.append([recordOfSize(64 * 1024)]))).code).toBe("STORAGE_FULL");
    expect(warnings).toEqual([`${path}: the disk is full; appends are refused (STORAGE_FULL) until space is freed`]);
    expect(statSync(segment).size).toBe(sizeBefore);
    expect(log.endOffset).toBe(20);
    expect(log.read(0, 100, 10_000_000)).toEqual(range(0, 20));

    freeDisk(filler);
    expect(await log.append([recordFor(20)])).toEqual({ baseOffset: 20, lastOffset: 20 });
    expect(warnings[1]).toBe(`${path}: appends resumed; the disk has room again`);
    await log.close();
    const again = open(path);
    expect(again.read(0, 100, 10_000_000)).toEqual(range(0, 21));
  });

  test("an index write that does not fit (SQLITE_FULL) undoes the segment write it followed", async () => {
    const disk = smallDisk();
    const path = join(disk, "p");
    // Each write group's entries stored with it (no entries waiting in memory), so the append below writes the index.
    const log = open(path, [], { indexBatchEntries: 1 });
    await appendRange(log, 0, 10);
    const segment = join(path, segmentFileName(0));
    const sizeBefore = statSync(segment).size;
    // tmpfs hands out whole pages: a small frame still fits in the segment's last page,
    // while the index's write-ahead log needs a new one.
    const slack = 4096 - (sizeBefore % 4096);
    expect(slack).toBeGreaterThan(64);
    const filler = fillDisk(disk);

    const failure = await failureOf(() => log.append([recordOfSize(64)]));
    expect(failure.code).toBe("STORAGE_FULL");
    expect(failure.message).toBe(`append to ${path} failed: the disk is full (database or disk is full); free space on it and retry`);
    expect(statSync(segment).size).toBe(sizeBefore);
    expect(log.endOffset).toBe(10);

    freeDisk(filler);
    expect(await log.append([recordFor(10)])).toEqual({ baseOffset: 10, lastOffset: 10 });
    expect(log.read(0, 100, 10_000_000)).toEqual(range(0, 11));
    await log.close();
    expect(open(path).read(0, 100, 10_000_000)).toEqual(range(0, 11));
  });

  test("a partition that cannot be created on a full disk is STORAGE_FULL and leaves no folder behind", async () => {
    const disk = smallDisk();
    const filler = fillDisk(disk);
    const path = join(disk, "p");
    const failure = await failureOf(() => PartitionLog.open(path, {}, () => {}));
    expect(failure.code).toBe("STORAGE_FULL");
    expect(failure.message).toBe(`opening ${join(path, "index.sqlite")} failed: the disk is full (database or disk is full); free space on it and retry`);
    expect(existsSync(path)).toBe(false);
    freeDisk(filler);
    const log = open(path);
    expect(await log.append([recordFor(0)])).toEqual({ baseOffset: 0, lastOffset: 0 });
  });
});

describe("files changed under a running log", () => {
  test("a deleted segment: appends are refused with STORAGE_ERROR naming it, reads of what was written still work", async () => {
    const path = workDir();
    const log = open(path);
    await appendRange(log, 0, 5);
    const segment = join(path, segmentFileName(0));
    rmSync(segment);
    const failure = await failureOf(() => log.append([recordFor(5)]));
    expect(failure.code).toBe("STORAGE_ERROR");
    expect(failure.message).toBe(
      `${segment} was deleted while the broker had it open; appends to this partition are refused until the broker is restarted, which recovers it from what is left on disk`,
    );
    expect(log.endOffset).toBe(5);
    expect(log.read(0, 10, 1_000_000)).toEqual(range(0, 5));
  });

  test("a deleted partition folder: appends are refused, nothing is acknowledged into a file that is gone", async () => {
    const path = workDir();
    const log = open(path);
    await appendRange(log, 0, 5);
    rmSync(path, { recursive: true });
    const failure = await failureOf(() => log.append([recordFor(5)]));
    expect(failure.code).toBe("STORAGE_ERROR");
    expect(failure.message).toContain("was deleted while the broker had it open");
    expect(log.endOffset).toBe(5);
  });

  test("a truncated segment: appends are refused (no hole of zeros), reads before the cut work, reads past it are CORRUPT_RECORD", async () => {
    const path = workDir();
    const log = open(path);
    await appendRange(log, 0, 10);
    const segment = join(path, segmentFileName(0));
    const full = statSync(segment).size;
    let cut = 0;
    for (let o = 0; o < 5; o++) cut += sizeRecord(recordFor(o)).frameBytes;
    truncateSync(segment, cut);
    const failure = await failureOf(() => log.append([recordFor(10)]));
    expect(failure.code).toBe("STORAGE_ERROR");
    expect(failure.message).toStartWith(`${segment} was cut to ${cut} bytes while the broker had written ${full};`);
    expect(statSync(segment).size).toBe(cut);
    expect(log.read(0, 5, 1_000_000)).toEqual(range(0, 5));
    expect((await failureOf(() => log.read(5, 1, 1_000_000))).code).toBe("CORRUPT_RECORD");
    await log.close();
    // A restart recovers what is left on disk.
    const again = open(path, []);
    expect(again.endOffset).toBe(5);
    expect(again.read(0, 10, 1_000_000)).toEqual(range(0, 5));
  });
});

describe("a damaged offset index", () => {
  /** Overwrites pages in the middle of the file, keeping its header: sqlite only notices when it reads them. */
  function damagePages(file: string): void {
    const fd = openSync(file, "r+");
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(40 * 4096);
    writeSync(fd, new Uint8Array(8 * 4096).fill(0xa5), 0, 8 * 4096, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
  }

  async function build(path: string, count: number): Promise<void> {
    const log = PartitionLog.open(path, { fsync: "never" });
    for (let o = 0; o < count; o += 500) await log.append(Array.from({ length: Math.min(500, count - o) }, (_, i) => recordFor(o + i)));
    await log.close();
  }

  test("damaged pages found by a read: the index is rebuilt from the log, said once, and every read answers right", async () => {
    const path = workDir();
    await build(path, 20_000);
    const warnings: string[] = [];
    const log = open(path, warnings);
    damagePages(join(path, "index.sqlite"));
    for (let o = 0; o < 20_000; o += 37) expect(log.read(o, 1, 1_000_000)).toEqual([expectedAt(o)]);
    expect(warnings).toEqual([`${join(path, "index.sqlite")} is corrupt (database disk image is malformed); rebuilding it from the log`]);
    expect(await log.append([recordFor(20_000)])).toEqual({ baseOffset: 20_000, lastOffset: 20_000 });
    await log.close();
    const again = open(path, []);
    expect(again.read(19_990, 100, 10_000_000)).toEqual(range(19_990, 20_001));
  });

  // Why the index is read with read calls and not mapped (SQLite's mmap_size, tried for
  // ~2 µs a lookup): with a 1.5M-record index open and mapped, cutting the file killed the
  // process with SIGBUS on the next lookup; read calls find the damage and rebuild.
  test("an index.sqlite cut short while the log is open: the read finds it, the index is rebuilt from the log, every read answers right", async () => {
    const path = workDir();
    await build(path, 20_000);
    const warnings: string[] = [];
    const log = open(path, warnings);
    const file = join(path, "index.sqlite");
    expect(statSync(file).size).toBeGreaterThan(40 * 4096);
    // Reads before the cut: the file's pages are in use when it shrinks. Of the first half
    // only: the stretches of the index those reads loaded are in memory (index-chunks.ts)
    // and answer without the file, so it is a read in the second half that finds the damage.
    for (let o = 0; o < 10_000; o += 101) expect(log.read(o, 1, 1_000_000)).toEqual([expectedAt(o)]);
    truncateSync(file, 4096 * 4);
    for (let o = 0; o < 20_000; o += 37) expect(log.read(o, 1, 1_000_000)).toEqual([expectedAt(o)]);
    expect(warnings).toEqual([`${file} is corrupt (database disk image is malformed); rebuilding it from the log`]);
    expect(await log.append([recordFor(20_000)])).toEqual({ baseOffset: 20_000, lastOffset: 20_000 });
    await log.close();
  });

  test("a zero-length index.sqlite is rebuilt from the log, with a line saying so", async () => {
    const path = workDir();
    await build(path, 600);
    truncateSync(join(path, "index.sqlite"), 0);
    const warnings: string[] = [];
    const log = open(path, warnings);
    expect(warnings).toEqual([`${join(path, "index.sqlite")} was missing or empty; rebuilding it from the log`]);
    expect(log.read(0, 1000, 100_000_000)).toEqual(range(0, 600));
  });

  test("an index.sqlite that cannot be opened (here, a folder) is a STORAGE_ERROR naming it, and is not deleted", async () => {
    const path = workDir();
    await build(path, 10);
    rmSync(join(path, "index.sqlite"));
    mkdirSync(join(path, "index.sqlite"));
    const failure = await failureOf(() => PartitionLog.open(path, {}, () => {}));
    expect(failure.code).toBe("STORAGE_ERROR");
    expect(failure.message).toBe(`opening ${join(path, "index.sqlite")} failed: unable to open database file`);
    expect(statSync(join(path, "index.sqlite")).isDirectory()).toBe(true);
    expect(readdirSync(path).sort()).toEqual([segmentFileName(0), "index.sqlite"]);
  });
});
