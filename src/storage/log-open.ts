/**
 * Opening a partition folder: the index opened (or rebuilt), a truncation a crash
 * interrupted finished, and the log recovered against the index.
 */
import { mkdirSync, readdirSync, rmSync, statfsSync } from "node:fs";
import { CORE_LIMITS } from "../config/core.ts";
import { join } from "node:path";
import { isCheckpointTemp } from "./checkpoint-file.ts";
import { DeferredIndex, fitsInMemory } from "./deferred-index.ts";
import { type IndexStore, openOffsetIndex, replaceOffsetIndex } from "./offset-index.ts";
import { type RecoveredLog, recoverLog } from "./recovery.ts";
import { Segment, segmentBasesOf, segmentFileName } from "./segment.ts";
import { isIndexCorrupt } from "./storage-failure.ts";
import { redoInterruptedTruncation, TRUNCATION_FILE, type TruncationIntent } from "./truncation.ts";

const INDEX_FILE = "index.sqlite";
const NEW_LOG_MIN_FREE_BYTES = CORE_LIMITS.newLogMinFreeBytes.value;

/**
 * Removes a folder this open just made, or leaves it: with no file descriptor left (the
 * likeliest reason the open failed) the removal fails too, and the open's own error is
 * the one to report.
 */
export function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // See above.
  }
}

/**
 * Makes the partition folder; returns the first folder it made (as mkdirSync with
 * `recursive` does), or undefined when `dir` existed. The folder alone first: the
 * recursive form looks at every parent on the way, and the parent (the data dir) is
 * there but for the first partition.
 */
export function makeFolder(dir: string): string | undefined {
  try {
    mkdirSync(dir);
    return dir;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return undefined;
    if (code !== "ENOENT") throw error;
  }
  return mkdirSync(dir, { recursive: true });
}

/**
 * Opens the index and recovers the log against it; a damaged index is rebuilt, once. A
 * truncation a crash interrupted is finished first (truncation.ts), so recovery reconciles
 * the files as the truncation left them. With `deferIndex`, a log with no index file
 * small enough never to have needed one keeps its index in memory (deferred-index.ts).
 */
export function openAndRecover(
  dir: string,
  warn: (message: string) => void,
  deferIndex = false,
  names: ReadonlySet<string> = new Set(readdirSync(dir)),
): { index: IndexStore; recovered: RecoveredLog; intent: TruncationIntent | null } {
  const path = join(dir, INDEX_FILE);
  let index: IndexStore =
    deferIndex && !names.has(INDEX_FILE) && fitsInMemory(segmentBytes(dir, names))
      ? new DeferredIndex(path, warn)
      : openOffsetIndex(path, warn, () => segmentBytes(dir, names) > 0);
  // Only a truncation that a crash interrupted leaves its intent file.
  const redo = (log: (message: string) => void) => (names.has(TRUNCATION_FILE) ? redoInterruptedTruncation(dir, index, log) : null);
  let damage: unknown;
  try {
    const intent = redo(warn);
    return { index, recovered: recoverLog(dir, index, warn), intent };
  } catch (error) {
    index.close();
    if (!isIndexCorrupt(error)) throw error;
    damage = error;
  }
  // sqlite reads the pages of a file whose header is intact only when a query needs them.
  warn(`${path} is corrupt (${describe(damage)}); rebuilding it from the log`);
  index = replaceOffsetIndex(path);
  try {
    const intent = redo(() => {});
    return { index, recovered: recoverLog(dir, index, warn), intent };
  } catch (error) {
    index.close();
    throw error;
  }
}

/**
 * The index and the one empty segment of a folder this process just made, which holds
 * nothing to recover: no reads of files that cannot be there. A batch over 10,000 new
 * partitions opens 3,333 of these on each of three brokers (issue 14), and the listings
 * and failed reads of the general path were a fifth of it. A crash half-way leaves a
 * folder that the next open takes the general path through.
 */
export function openNew(
  dir: string,
  warn: (message: string) => void,
  deferIndex = false,
): { index: IndexStore; recovered: RecoveredLog; intent: null } {
  const path = join(dir, INDEX_FILE);
  if (deferIndex) assertRoomForNewLog(dir);
  const index = deferIndex ? new DeferredIndex(path, warn) : openOffsetIndex(path, warn, () => false);
  try {
    return { index, recovered: { segments: [Segment.create(dir, 0)], endOffset: 0 }, intent: null };
  } catch (error) {
    index.close();
    throw error;
  }
}

/**
 * A new log made on a full disk is refused (STORAGE_FULL), its folder removed, as it was
 * when every new log wrote its index file at once: with the index in memory the folder
 * and an empty segment take no room, and the log would open only for its first append
 * to fail, leaving a folder that says the partition was written. One statfs call.
 */
function assertRoomForNewLog(dir: string): void {
  const { bavail, bsize } = statfsSync(dir);
  if (bavail * bsize >= NEW_LOG_MIN_FREE_BYTES) return;
  const error: NodeJS.ErrnoException = new Error(`ENOSPC: no space left on device, ${bavail * bsize} bytes free for a new partition log`);
  error.code = "ENOSPC";
  throw error;
}

/** Temporary files of checkpoint writes a crash cut short (among `names`, the folder's listing): never renamed, so never read. */
export function removeCheckpointTemps(dir: string, names: Iterable<string>): void {
  for (const name of names) if (isCheckpointTemp(name)) rmSync(join(dir, name), { force: true });
}

function segmentBytes(dir: string, names: ReadonlySet<string>): number {
  let bytes = 0;
  for (const base of segmentBasesOf(names)) bytes += Bun.file(join(dir, segmentFileName(base))).size;
  return bytes;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
