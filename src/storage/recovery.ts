/**
 * Recovery on open: reconcile the offset index with the segments, which are the truth.
 *
 * 1. Index entries that point past the end of their segment, into a segment that is gone,
 *    or at a frame that does not check out, are dropped (the index was ahead of the log).
 * 2. The log is scanned from the end of the last indexed record only, so the cost of an
 *    open is bounded by the unindexed tail, not by the size of the log; what the scan
 *    finds is indexed (the log was ahead of the index, or the index was deleted).
 * 3. The scan stops at a partial frame or a frame that fails its CRC. If nothing after it
 *    holds data, it is a torn tail (a write cut short by kill -9 or power loss): the
 *    segment is truncated there, so the next append starts on a frame boundary. If later
 *    data exists, it is corruption in the middle of the log: it is reported, never
 *    truncated away, and reads stop at it.
 */
import { checkFrame, FRAME_PREFIX_BYTES, viewOf } from "./record-codec.ts";
import type { IndexEntry, IndexStore } from "./offset-index.ts";
import { listSegmentBases, Segment } from "./segment.ts";
import { CORE_LIMITS } from "../config/core.ts";

const SCAN_CHUNK_BYTES = CORE_LIMITS.recoveryScanChunkBytes.value;
/** Index rows are committed in groups while scanning, so a rebuild holds little in memory. */
const SCAN_COMMIT_ROWS = CORE_LIMITS.recoveryScanCommitRows.value;

export interface RecoveredLog {
  /** Ascending by base offset; never empty; the last is the active segment. */
  segments: Segment[];
  endOffset: number;
}

/**
 * `open`: the segments already open (an index rebuilt while the log runs); without it the
 * segment files of `dir` are opened, and closed again if recovery fails.
 */
export function recoverLog(dir: string, index: IndexStore, warn: (message: string) => void, open?: Segment[]): RecoveredLog {
  if (open !== undefined) return reconcile(dir, index, warn, open);
  const segments: Segment[] = [];
  try {
    for (const base of listSegmentBases(dir)) segments.push(Segment.open(dir, base));
    return reconcile(dir, index, warn, segments);
  } catch (error) {
    for (const segment of segments) segment.close();
    throw error;
  }
}

function reconcile(dir: string, index: IndexStore, warn: (message: string) => void, segments: Segment[]): RecoveredLog {
  if (segments.length === 0) {
    index.deleteFrom(Number.MIN_SAFE_INTEGER);
    segments.push(Segment.open(dir, 0));
  }
  // Retention removes the file before its rows; finish a removal a crash interrupted.
  index.deleteBelow(segments[0].baseOffset);
  const positionOf = new Map(segments.map((s, i) => [s.baseOffset, i]));

  let last = index.last();
  while (last !== null) {
    const i = positionOf.get(last.segment);
    if (i === undefined) {
      warn(`${dir}: index refers to missing segment ${last.segment}; dropping its entries`);
      index.deleteFrom(Math.min(last.segment, last.offset));
    } else if (last.position + last.length > segments[i].size) {
      const segment = segments[i];
      const first = index.firstEndingPast(segment.baseOffset, last.offset + 1, segment.size) ?? last.offset;
      warn(`${dir}: index was ahead of the log; dropping entries from offset ${first}`);
      index.deleteFrom(first);
    } else {
      const bytes = segments[i].read(last.position, last.length);
      const check = checkFrame(bytes, 0, bytes.length);
      if (check.kind === "ok" && check.offset === last.offset && check.frameBytes === last.length) break;
      warn(`${dir}: last indexed record ${last.offset} does not match the log; re-reading from the one before`);
      index.deleteFrom(last.offset);
    }
    last = index.last();
  }

  let segmentIndex = last === null ? 0 : (positionOf.get(last.segment) ?? 0);
  let position = last === null ? 0 : last.position + last.length;
  let expected = last === null ? segments[0].baseOffset : last.offset + 1;

  for (; segmentIndex < segments.length; segmentIndex++) {
    const segment = segments[segmentIndex];
    const nextBase = segmentIndex + 1 < segments.length ? segments[segmentIndex + 1].baseOffset : Number.MAX_SAFE_INTEGER;
    if (position === 0 && expected !== segment.baseOffset) {
      warn(`${dir}: offsets ${expected}..${segment.baseOffset - 1} are missing before segment ${segment.baseOffset}`);
      expected = segment.baseOffset;
    }
    const result = scanSegment(segment, position, expected, nextBase, index, (message) => warn(`${dir}: ${message}`));
    expected = result.nextOffset;
    position = 0;
    if (result.stoppedAt === null) continue;

    const stop = result.stoppedAt;
    const laterHoldData = segments.slice(segmentIndex + 1).some((s) => s.size > 0);
    if (laterHoldData) {
      warn(
        `${dir}: corrupt record at offset ${expected} (segment ${segment.baseOffset}, position ${stop}): ` +
          `${result.reason}; reads stop there, offsets up to ${nextBase - 1} are unreadable`,
      );
      continue;
    }
    warn(
      `${dir}: truncating torn tail of segment ${segment.baseOffset}: ${segment.size - stop} bytes at ` +
        `position ${stop} (${result.reason}); the log ends at offset ${expected}`,
    );
    segment.truncate(stop);
    // Empty segments rolled after the tear would start at the wrong offset.
    for (const empty of segments.splice(segmentIndex + 1)) empty.delete();
    break;
  }
  return { segments, endOffset: expected };
}

interface ScanResult {
  nextOffset: number;
  /** Position of the first frame that is not whole and valid, or null at a clean end. */
  stoppedAt: number | null;
  reason: string;
}

/** Indexes the whole, valid frames of `segment` from `position` on. */
function scanSegment(
  segment: Segment,
  start: number,
  firstOffset: number,
  nextBase: number,
  index: IndexStore,
  warn: (message: string) => void,
): ScanResult {
  const pending: IndexEntry[] = [];
  let expected = firstOffset;
  let position = start;
  let buf: Uint8Array = new Uint8Array(0);
  let view = viewOf(buf);
  let bufStart = start;
  let result: ScanResult | null = null;

  const load = (at: number, atLeast: number): void => {
    buf = segment.read(at, Math.min(Math.max(SCAN_CHUNK_BYTES, atLeast), segment.size - at));
    view = viewOf(buf);
    bufStart = at;
  };

  while (result === null) {
    if (position >= segment.size) {
      result = { nextOffset: expected, stoppedAt: null, reason: "" };
      break;
    }
    let at = position - bufStart;
    let check = checkFrame(buf, at, buf.length, view);
    if (check.kind === "partial") {
      if (position + check.needBytes > segment.size) {
        result = { nextOffset: expected, stoppedAt: position, reason: `partial frame (needs ${check.needBytes} bytes)` };
        break;
      }
      load(position, check.needBytes);
      at = 0;
      check = checkFrame(buf, at, buf.length, view);
    }
    let problem: string | null = null;
    if (check.kind === "ok") {
      if (check.offset === expected && expected < nextBase) {
        pending.push({
          offset: expected,
          segment: segment.baseOffset,
          position,
          length: check.frameBytes,
          timestamp: check.timestamp,
        });
        if (pending.length >= SCAN_COMMIT_ROWS) index.add(pending.splice(0));
        expected++;
        position += check.frameBytes;
        continue;
      }
      problem = `frame holds offset ${check.offset}, expected ${expected}`;
    } else if (check.kind === "corrupt") {
      problem = check.reason;
    } else {
      problem = `partial frame (needs ${check.needBytes} bytes)`;
    }
    // A single damaged frame whose successor is intact is mid-log corruption: skip it.
    const frameBytes = check.kind === "partial" ? 0 : check.frameBytes;
    if (frameBytes > 0 && expected < nextBase - 1 && nextFrameChains(segment, position + frameBytes, expected + 1)) {
      // Nothing is indexed for the damaged offset, so reads stop at the gap it leaves.
      warn(
        `corrupt record at offset ${expected} (segment ${segment.baseOffset}, position ${position}): ${problem}; ` +
          "reads stop there",
      );
      position += frameBytes;
      expected++;
      continue;
    }
    result = { nextOffset: expected, stoppedAt: position, reason: problem };
  }
  index.add(pending);
  return result;
}

function nextFrameChains(segment: Segment, position: number, offset: number): boolean {
  if (position + FRAME_PREFIX_BYTES > segment.size) return false;
  const head = segment.read(position, FRAME_PREFIX_BYTES);
  const frameBytes = new DataView(head.buffer).getUint32(0, true) + 4;
  if (position + frameBytes > segment.size) return false;
  const bytes = segment.read(position, frameBytes);
  const check = checkFrame(bytes, 0, bytes.length);
  return check.kind === "ok" && check.offset === offset;
}
