/**
 * Reads the contiguous frames of one segment from a known position: the offset index is
 * asked only where a read starts, and the frames after it are found by their own length
 * fields, since a segment holds consecutive offsets back to back. Bytes come in bounded
 * preads sized from what the read may still return, so a read never holds more than
 * READ_CHUNK_BYTES of the file (or one frame, if a single frame is larger).
 */
import { checkFrame, decodeFrame, FRAME_PREFIX_BYTES, MIN_FRAME_BYTES, viewOf } from "./record-codec.ts";
import type { Segment } from "./segment.ts";
import type { StoredRecord } from "./types.ts";
import type { ReadScratch } from "./read-scratch.ts";
import { CORE_LIMITS } from "../config/core.ts";

/** Largest pread of one read-ahead. */
export const READ_CHUNK_BYTES = CORE_LIMITS.readChunkBytes.value;

export interface ReadBudget {
  maxRecords: number;
  /** Frame bytes; the first record of a read is returned even when it alone is larger (KIP-74). */
  maxBytes: number;
}

/**
 * Where a read puts the frames it has checked (length, CRC, offset): decoded into
 * records, or kept as frames for an adapter that re-encodes them itself (frame-read.ts).
 */
export interface ReadSink {
  /** Frames taken so far. */
  readonly count: number;
  /** Takes the checked frame of `frameBytes` bytes at `at` of `buf`, a buffer nothing overwrites; `view` covers `buf`. */
  take(buf: Uint8Array, at: number, frameBytes: number, view: DataView): void;
  /** Where the file's bytes are read into, when the sink's owner reuses that memory (default: fresh buffers). */
  readonly readMemory?: (length: number) => Uint8Array;
  /** A view of what readMemory gave, when the sink has one already (default: a new one). */
  readonly viewOf?: (buf: Uint8Array) => DataView;
}

/**
 * A sink that decodes each frame into a StoredRecord: views into the read's buffer, or,
 * with a scratch buffer (read-scratch.ts) that the read went into, copies.
 */
export class RecordSink implements ReadSink {
  readonly out: StoredRecord[] = [];
  readonly readMemory?: (length: number) => Uint8Array;
  readonly viewOf?: (buf: Uint8Array) => DataView;

  constructor(private readonly scratch?: ReadScratch) {
    if (scratch !== undefined) {
      this.readMemory = scratch.memory;
      this.viewOf = (buf) => (scratch.holds(buf) ? scratch.view : viewOf(buf));
    }
  }

  get count(): number {
    return this.out.length;
  }

  take(buf: Uint8Array, at: number, frameBytes: number, view: DataView): void {
    this.out.push(decodeFrame(buf, at, frameBytes, view, this.scratch !== undefined && this.scratch.holds(buf)));
  }
}

/** Progress of one read across segments. */
export interface ReadProgress {
  /** The offset the next frame must hold. */
  offset: number;
  /** Frame bytes of the records returned so far. */
  bytes: number;
  out: ReadSink;
}

export type WalkStop =
  /** A budget is spent, `stopOffset` was reached, or the next frame is left to the next read. */
  | { kind: "done" }
  /** The frames of this segment are all read (the file ends on a frame boundary). */
  | { kind: "segment-end" }
  /** The frame at `position` is missing, cut short, fails its CRC or holds another offset. */
  | { kind: "bad"; position: number; reason: string };

const DONE: WalkStop = { kind: "done" };
const SEGMENT_END: WalkStop = { kind: "segment-end" };
const EMPTY: Uint8Array = new Uint8Array(0);
const EMPTY_VIEW = viewOf(EMPTY);

/**
 * Appends to `progress.out` the records of `segment` from byte `position` on, starting
 * with offset `progress.offset`, until a budget is spent, `stopOffset` is reached, the
 * segment ends, or a frame does not check out. `indexedLength` is the index's length of
 * the first frame (null when the walk starts at a segment's beginning without a lookup);
 * it sizes the first pread and must match the frame found.
 */
export function walkSegment(
  segment: Segment,
  position: number,
  indexedLength: number | null,
  stopOffset: number,
  budget: ReadBudget,
  progress: ReadProgress,
): WalkStop {
  const { out } = progress;
  const end = segment.size;
  let buf: Uint8Array = EMPTY;
  let view = EMPTY_VIEW;
  let bufStart = position;
  const load = (need: number): void => {
    // Size the pread from what may still be returned: the records left times the frame
    // size seen so far, within the bytes left; never less than the frame at hand.
    const average = out.count > 0 ? progress.bytes / out.count : (indexedLength ?? MIN_FRAME_BYTES);
    const wanted = Math.min((budget.maxRecords - out.count) * average, budget.maxBytes - progress.bytes, READ_CHUNK_BYTES);
    buf = segment.read(position, Math.min(end - position, Math.max(need, Math.ceil(wanted))), out.readMemory);
    view = out.viewOf === undefined ? viewOf(buf) : out.viewOf(buf);
    bufStart = position;
  };

  for (;;) {
    if (out.count >= budget.maxRecords || progress.offset >= stopOffset) return DONE;
    if (out.count > 0 && progress.bytes + MIN_FRAME_BYTES > budget.maxBytes) return DONE;
    if (position >= end) return out.count === 0 ? bad(position, "frame is past the end of its segment") : SEGMENT_END;

    let at = position - bufStart;
    if (buf.length - at < FRAME_PREFIX_BYTES) {
      load(out.count === 0 && indexedLength !== null ? Math.max(indexedLength, FRAME_PREFIX_BYTES) : FRAME_PREFIX_BYTES);
      at = 0;
    }
    if (buf.length - at >= FRAME_PREFIX_BYTES) {
      // The length field decides the budget before any CRC work on a frame not returned.
      const frameBytes = view.getUint32(at, true) + 4;
      if (out.count === 0 && indexedLength !== null && frameBytes !== indexedLength) {
        return bad(position, `frame is ${frameBytes} bytes, index says ${indexedLength}`);
      }
      if (out.count > 0 && progress.bytes + frameBytes > budget.maxBytes) return DONE;
      if (buf.length - at < frameBytes && bufStart + buf.length < end) {
        // A length field is only trusted for what the index vouched for: a frame larger
        // than a chunk is left to the next read, which sizes its pread from the index,
        // so a damaged length can never make a read pull in the rest of the segment.
        if (out.count > 0 && frameBytes > READ_CHUNK_BYTES) return DONE;
        load(Math.min(frameBytes, end - position));
        at = 0;
      }
    }

    const check = checkFrame(buf, at, buf.length, view);
    if (check.kind === "partial") return bad(position, "frame is cut short");
    if (check.kind === "corrupt") return bad(position, check.reason);
    if (check.offset !== progress.offset) return bad(position, `frame holds offset ${check.offset}`);
    out.take(buf, at, check.frameBytes, view);
    progress.offset++;
    progress.bytes += check.frameBytes;
    position += check.frameBytes;
  }
}

function bad(position: number, reason: string): WalkStop {
  return { kind: "bad", position, reason };
}
