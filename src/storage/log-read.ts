/**
 * A read of consecutive records of a partition log: one index lookup where it starts,
 * then the frames walked in place, segment after segment, up to a bound (the high
 * watermark for consumers, the log end offset for a follower's fetch).
 */
import { StreamNestError } from "../lib/errors.ts";
import type { IndexStore } from "./offset-index.ts";
import type { Segment } from "./segment.ts";
import { type ReadProgress, RecordSink, type ReadSink, walkSegment } from "./segment-reader.ts";
import type { StoredRecord } from "./types.ts";

export interface ReadSource {
  dir: string;
  segments: readonly Segment[];
  index: IndexStore;
  warn: (message: string) => void;
}

/** Records from `offset` (below `bound`) up to `bound`, within the budget (see PartitionLog.read). */
export function readRange(log: ReadSource, offset: number, bound: number, maxRecords: number, maxBytes: number): StoredRecord[] {
  const sink = new RecordSink();
  readRangeInto(log, offset, bound, maxRecords, maxBytes, sink);
  return sink.out;
}

/** readRange into any sink: the frames as records, or as frames (frame-read.ts). */
export function readRangeInto(log: ReadSource, offset: number, bound: number, maxRecords: number, maxBytes: number, sink: ReadSink): void {
  // One lookup where the read starts (from memory once its stretch of the index is
  // there); the frames after it are walked in place.
  const first = log.index.place(offset);
  if (first === null) {
    // Recovery indexes every record it can read: a missing offset is one it found corrupt.
    const message = `record at offset ${offset} of ${log.dir} is unreadable (corrupt data in its segment)`;
    log.warn(message);
    throw new StreamNestError("CORRUPT_RECORD", message, { offset });
  }
  const budget = { maxRecords, maxBytes };
  const progress: ReadProgress = { offset, bytes: 0, out: sink };
  let i = segmentPosition(log.segments, first.segment);
  if (i < 0) return stopRead(log, progress, first.segment, first.position, `segment ${first.segment} is missing`);
  let position = first.position;
  let indexedLength: number | null = first.length;
  for (;;) {
    const segment = log.segments[i];
    const next = log.segments[i + 1];
    const stopOffset = next === undefined ? bound : Math.min(bound, next.baseOffset);
    const stop = walkSegment(segment, position, indexedLength, stopOffset, budget, progress);
    if (stop.kind === "bad") return stopRead(log, progress, segment.baseOffset, stop.position, stop.reason);
    if (progress.out.count >= maxRecords || progress.offset >= bound) return;
    const intoNext = next !== undefined && next.baseOffset === progress.offset;
    // A walk that is done short of the next segment spent a budget.
    if (stop.kind === "done" && !intoNext) return;
    if (!intoNext) {
      // The segment ended before the next one begins: offsets recovery found missing.
      return stopRead(log, progress, segment.baseOffset, segment.size, `offsets from ${progress.offset} are missing`);
    }
    i++;
    position = 0;
    indexedLength = null;
  }
}

/**
 * Ends a read at a frame that cannot be returned: an error when nothing was read yet;
 * otherwise the records before it, with a warning unless the index also lacks the
 * offset (a gap recovery already reported, which every read running into it would repeat).
 */
function stopRead(log: ReadSource, progress: ReadProgress, segment: number, position: number, problem: string): void {
  const message = `corrupt record at offset ${progress.offset} of ${log.dir} (segment ${segment}, position ${position}): ${problem}`;
  if (progress.out.count === 0) {
    log.warn(message);
    throw new StreamNestError("CORRUPT_RECORD", message, { offset: progress.offset });
  }
  if (log.index.get(progress.offset) !== null) log.warn(message);
}

/** Position in `segments` (ascending by base offset) of the segment with this base offset, or -1. */
export function segmentPosition(segments: readonly Segment[], base: number): number {
let lo = 0;
let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const b = segments[mid].baseOffset;
    if (b === base) return mid;
    if (b < base) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
