/**
 * One coalesced group of appends written to the segments and indexed: the records are
 * laid out in one buffer over the active segment and any rolled after it, each segment
 * touched gets one write, and the index one transaction. All or nothing: a failure
 * leaves files and index as they were.
 */
import { crc32cRangeInt32 } from "../lib/crc32c.ts";
import { StreamNestError } from "../lib/errors.ts";
import { copyBytes, unfilledBytes } from "../lib/fast-bytes.ts";
import type { FrameBatch } from "./frame-batch.ts";
import type { CheckedFrames } from "./frame-chunk.ts";
import type { IndexEntry, IndexStore } from "./offset-index.ts";
import { encodeFrame, type SizedRecord, viewOf } from "./record-codec.ts";
import { Segment } from "./segment.ts";
import type { AppendResult } from "./types.ts";

export interface PendingAppend {
  /**
   * Records to encode; frames laid out by appendFrames whose offsets and CRCs are filled in
   * here (FrameBatch); or, a follower's append, frames already encoded and checked.
   */
  records: SizedRecord[] | FrameBatch | CheckedFrames;
  /** appendAt: the offset its first record must get. */
  at: number | null;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

export interface WrittenAppend {
  result: AppendResult;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** What a group is written to: the log's current files and end. */
export interface GroupTarget {
  dir: string;
  segments: readonly Segment[];
  end: number;
  index: IndexStore;
  segmentBytes: number;
  warn: (message: string) => void;
}

export interface GroupWritten {
  /** The appends written, with their offsets, not yet answered. */
  written: WrittenAppend[];
  /** Segments rolled by the group, to add after the log's last. */
  created: Segment[];
  /** The log end offset after the group. */
  end: number;
  /** The frames written, back to back from the end before the group (for the tail cache). */
  frames: Uint8Array;
}

/**
 * Writes a group and indexes it, or throws having left files and index as they were.
 * Returns the appends written, with their offsets, not yet answered.
 */
export function writeGroup(log: GroupTarget, group: PendingAppend[]): GroupWritten {
  // Checked before every write rather than trusted: see Segment.tampered.
  const problem = log.segments[log.segments.length - 1].tampered();
  if (problem !== null)
    throw new StreamNestError(
      "STORAGE_ERROR",
      `${problem}; appends to this partition are refused until the broker is restarted, which recovers it from what is left on disk`,
    );
  const written: WrittenAppend[] = [];
  const entries: IndexEntry[] = [];
  let total = 0;
  for (const append of group) {
    const records = append.records;
    if (Array.isArray(records)) for (const r of records) total += r.frameBytes;
    else if (isBatch(records)) total += records.frames.length;
    else total += records.bytes.byteLength;
  }
  // A group of one chunk of checked frames (a follower's fetch) is written as it came, and
  // a group of one FrameBatch (a Kafka produce request on its connection) is sealed in
  // its own buffer: no copy. (The batch's buffer is the log's from then on: see FrameBatch.)
  const only = group.length === 1 ? group[0].records : undefined;
  const own = only === undefined || Array.isArray(only) ? undefined : isChecked(only) ? only.bytes : only.frames;
  // Not zeroed: every byte is laid out below.
  const buf = own ?? unfilledBytes(total);
  const view = viewOf(buf);

  // Lay the records out over the active segment and any rolled after it.
  const chunks: { segment: Segment | null; base: number; from: number; to: number }[] = [];
  let active = log.segments[log.segments.length - 1];
  let segmentSize = active.size;
  let chunk = { segment: active as Segment | null, base: active.baseOffset, from: 0, to: 0 };
  chunks.push(chunk);
  let offset = log.end;
  let bufPos = 0;
  for (const append of group) {
    const baseOffset = offset;
    // appendAt checked its offset against the end it would be written at; only a bug
    // could break that, and a record at the wrong offset must never reach the file.
    if (append.at !== null && append.at !== offset) {
      throw new StreamNestError("STORAGE_ERROR", `append at offset ${append.at} of ${log.dir} would land at ${offset}`);
    }
    const records = append.records;
    if (isBatch(records)) {
      // One copy of the whole batch, then each frame's offset and CRC in place.
      const from = bufPos;
      if (records.frames !== buf) copyBytes(records.frames, buf, from);
      const { starts, timestamps } = records;
      for (let j = 0; j < records.count; j++) {
        const at = from + starts[j];
        const frameBytes = starts[j + 1] - starts[j];
        if (segmentSize > 0 && segmentSize + frameBytes > log.segmentBytes) {
          chunk = { segment: null, base: offset, from: at, to: at };
          chunks.push(chunk);
          segmentSize = 0;
        }
        entries.push({ offset, segment: chunk.base, position: segmentSize, length: frameBytes, timestamp: timestamps[j] });
        sealFrame(view, at, frameBytes, offset);
        chunk.to = at + frameBytes;
        segmentSize += frameBytes;
        offset++;
      }
      bufPos = from + records.frames.length;
    } else {
      const frames = isChecked(records) ? records : null;
      if (frames !== null && frames.bytes !== buf) copyBytes(frames.bytes, buf, bufPos);
      const count = frames !== null ? frames.lengths.length : (records as SizedRecord[]).length;
      for (let i = 0; i < count; i++) {
        const frameBytes = frames !== null ? frames.lengths[i] : (records as SizedRecord[])[i].frameBytes;
        if (segmentSize > 0 && segmentSize + frameBytes > log.segmentBytes) {
          chunk = { segment: null, base: offset, from: bufPos, to: bufPos };
          chunks.push(chunk);
          segmentSize = 0;
        }
        const timestamp = frames !== null ? frames.timestamps[i] : (records as SizedRecord[])[i].record.timestamp;
        entries.push({ offset, segment: chunk.base, position: segmentSize, length: frameBytes, timestamp });
        // Frames came with their offsets inside, checked against this very offset (checkChunk).
        bufPos = frames !== null ? bufPos + frameBytes : encodeFrame((records as SizedRecord[])[i], offset, buf, bufPos, view);
        chunk.to = bufPos;
        segmentSize += frameBytes;
        offset++;
      }
    }
    written.push({ result: { baseOffset, lastOffset: offset - 1 }, resolve: append.resolve, reject: append.reject });
  }

  const sizesBefore = new Map<Segment, number>();
  const created: Segment[] = [];
  try {
    for (const c of chunks) {
      if (c.segment === null) {
        c.segment = Segment.open(log.dir, c.base);
        created.push(c.segment);
        // Only a failed append whose undo could not delete its file leaves one here, and
        // nobody was acknowledged for its frames: reads walk a segment from its start.
        if (c.segment.size > 0) c.segment.truncate(0);
      }
      sizesBefore.set(c.segment, c.segment.size);
      if (c.to > c.from) c.segment.append(buf.subarray(c.from, c.to));
    }
    log.index.add(entries);
  } catch (error) {
    undoWrite(log, sizesBefore, created);
    throw error;
  }
  return { written, created, end: offset, frames: buf };
}

const TWO_POW_32 = 4294967296;

/** Writes a laid-out frame's offset, then its CRC-32C over the body (record-codec.ts's layout). */
function sealFrame(view: DataView, at: number, frameBytes: number, offset: number): void {
  const hi = Math.floor(offset / TWO_POW_32);
  view.setUint32(at + 9, offset - hi * TWO_POW_32, true);
  view.setInt32(at + 13, hi, true);
  view.setInt32(at + 4, crc32cRangeInt32(view, at + 8, at + frameBytes), true);
}

/**
 * After a group is written (synchronously: the files have its bytes), hands each batch's
 * buffer back (FrameBatch.release) unless `kept` says the log still holds it: the tail
 * cache keeps the frames of a group written in one batch's own buffer.
 */
export function releaseBatches(group: PendingAppend[], kept: (frames: Uint8Array) => boolean): void {
  for (const append of group)
    if (isBatch(append.records) && append.records.release !== undefined && !kept(append.records.frames)) append.records.release();
}

function isBatch(records: SizedRecord[] | FrameBatch | CheckedFrames): records is FrameBatch {
  return !Array.isArray(records) && "starts" in records;
}

function isChecked(records: SizedRecord[] | FrameBatch | CheckedFrames): records is CheckedFrames {
  return !Array.isArray(records) && "lengths" in records;
}

/** Leaves the files as they were before a failed group, so no half-written frame stays. */
function undoWrite(log: GroupTarget, sizesBefore: Map<Segment, number>, created: Segment[]): void {
  for (const [segment, size] of sizesBefore) {
    if (segment.size === size) continue;
    try {
      segment.truncate(size);
    } catch (error) {
      // Reads walk a segment's frames up to its size, so the unacknowledged bytes must
      // not count even if the file keeps them; the next append overwrites them.
      segment.size = size;
      log.warn(`${log.dir}: could not undo a failed append: ${describe(error)}`);
    }
  }
  for (const segment of created) {
    try {
      segment.delete();
    } catch (error) {
      log.warn(`${log.dir}: could not undo a failed append: ${describe(error)}`);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
