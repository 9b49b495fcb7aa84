/**
 * Crash-safe truncation of a partition log to an offset (a follower dropping a tail that
 * diverged from its leader, KIP-101/279).
 *
 * Truncating touches several files (later segments deleted, one segment cut, index rows
 * deleted, the epoch and high-watermark checkpoints rewritten), and no order of those
 * steps alone survives kill -9: deleting later segments one by one passes through ends
 * that are neither the old nor the new one, and the index cannot be the commit point
 * because recovery re-indexes whatever frames the segments still hold. So the first step
 * is an intent, `truncation-checkpoint` (offset, base of the segment holding it, byte
 * position of its frame), made durable with write + fsync + rename + fsync of the folder.
 * Emptying the log to start over at an offset (truncateFullyAndStartAt) is the same intent
 * with `fully` set: every segment but one empty segment at that offset goes.
 *
 * - Crash before the intent is durable: nothing was changed yet; the log has its old end.
 * - Crash after: on open, before recovery reconciles index and log, the intent is carried
 *   out again from the start (every step is idempotent: delete segment files above the
 *   holder, cut the holder at the recorded position, delete index rows from the offset);
 *   then epochs from the offset are dropped and the high watermark lowered, and only then
 *   is the intent removed. The log has its new end.
 * The recorded position stays valid until the intent is removed: nothing is appended to
 * the log in between (the running log does every step before it returns to the event
 * loop, and an open finishes the intent before the log accepts anything). Within the
 * steps, index rows go before bytes: should a step fail with an I/O error (the running log
 * then refuses appends until a restart finishes the intent), every row left still points
 * at bytes that exist. The cut segment and the folder are flushed before the intent is
 * removed, so a power loss cannot bring back bytes past the new end once new records may
 * be appended there.
 */
import { closeSync, fsyncSync, openSync, readdirSync, rmSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { readCheckpoint, removeCheckpointSync, syncDir, writeCheckpointSync } from "./checkpoint-file.ts";
import type { IndexStore } from "./offset-index.ts";
import { listSegmentBases, type Segment, segmentFileName } from "./segment.ts";

export const TRUNCATION_FILE = "truncation-checkpoint";

export interface TruncationIntent {
  /** The new log end offset: every record at and after it goes. */
  offset: number;
  /**
   * Every record goes, and the log starts over empty at `offset` (Kafka's
   * truncateFullyAndStartAt); `segment` is then `offset` and `position` 0.
   */
  fully: boolean;
  /** Base offset of the segment that holds `offset` (cut, not deleted). */
  segment: number;
  /** Byte position in that segment where the frame of `offset` begins. */
  position: number;
}

export function writeTruncationIntent(dir: string, intent: TruncationIntent): void {
  writeCheckpointSync(join(dir, TRUNCATION_FILE), [[intent.offset, intent.segment, intent.position, intent.fully ? 1 : 0]]);
}

export function clearTruncationIntent(dir: string): void {
  removeCheckpointSync(join(dir, TRUNCATION_FILE));
}

export function readTruncationIntent(dir: string): TruncationIntent | null {
  const path = join(dir, TRUNCATION_FILE);
  const rows = readCheckpoint(path, 4);
  if (rows === null) return null;
  const [row] = rows;
  const fully = row?.[3] === 1;
  if (rows.length !== 1 || row[0] < row[1] || row[2] < 0 || (row[3] !== 0 && !fully) || (fully && (row[1] !== row[0] || row[2] !== 0))) {
    throw new StreamNestError("STORAGE_ERROR", `checkpoint ${path} is damaged: ${JSON.stringify(rows)} is no truncation`);
  }
  return { offset: row[0], segment: row[1], position: row[2], fully };
}

/**
 * On open, before recovery: carries out a truncation a crash interrupted, on the files and
 * the index. Returns its intent (the caller drops epochs and lowers the high watermark,
 * then clears it), or null when there was none.
 */
export function redoInterruptedTruncation(dir: string, index: IndexStore, warn: (message: string) => void): TruncationIntent | null {
  const intent = readTruncationIntent(dir);
  if (intent === null) return null;
  warn(`${dir}: finishing a truncation to offset ${intent.offset}${intent.fully ? " (the whole log)" : ""} that was interrupted`);
  index.deleteFrom(intent.fully ? Number.MIN_SAFE_INTEGER : intent.offset);
  for (const base of listSegmentBases(dir)) {
    const doomed = intent.fully ? base !== intent.segment : base > intent.segment;
    if (doomed) rmSync(join(dir, segmentFileName(base)), { force: true });
  }
  // The empty segment the log starts over with; it may not have been created yet.
  if (intent.fully) closeSync(openSync(join(dir, segmentFileName(intent.segment)), "a"));
  const holder = join(dir, segmentFileName(intent.segment));
  if (readdirSync(dir).includes(segmentFileName(intent.segment))) {
    if (statSync(holder).size > intent.position) truncateSync(holder, intent.position);
    const fd = openSync(holder, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } else {
    warn(`${dir}: segment ${intent.segment} of the interrupted truncation is missing`);
  }
  syncDir(dir);
  return intent;
}

/** The intent of truncating to `offset`: where its frame begins (a record of the log, below its end). */
export function locateTruncation(dir: string, segments: readonly Segment[], index: IndexStore, offset: number): TruncationIntent {
  let i = segments.length - 1;
  while (i > 0 && segments[i].baseOffset > offset) i--;
  const segment = segments[i];
  if (offset === segment.baseOffset) return { offset, segment: segment.baseOffset, position: 0, fully: false };
  const row = index.get(offset);
  if (row !== null && row.segment === segment.baseOffset) return { offset, segment: row.segment, position: row.position, fully: false };
  // The record at `offset` may be one recovery found corrupt: its predecessor ends where it began.
  const before = index.get(offset - 1);
  if (before !== null && before.segment === segment.baseOffset) {
    return { offset, segment: before.segment, position: before.position + before.length, fully: false };
  }
  throw new StreamNestError(
    "CORRUPT_RECORD",
    `truncation to offset ${offset} of ${dir} refused: neither that record nor the one before it is readable`,
    { offset },
  );
}
