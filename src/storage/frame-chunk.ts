/**
 * Frames of consecutive records back to back, exactly as a log writes them
 * (record-codec.ts): what a leader ships to its followers and what a follower appends
 * in one piece (Kafka's followers append the leader's record batches as they came, in
 * Log.appendAsFollower, rather than rebuilding them record by record). Each frame
 * carries its own offset and CRC, so a chunk is checked without decoding a payload.
 */
import { StreamNestError } from "../lib/errors.ts";
import { checkFrame, encodeRecords, MIN_FRAME_BYTES, viewOf } from "./record-codec.ts";
import type { StoredFrames } from "./frame-read.ts";
import type { StoredRecord } from "./types.ts";

export interface FrameChunk {
  /** The frames of offsets firstOffset … firstOffset + count - 1, back to back. */
  readonly bytes: Uint8Array;
  readonly firstOffset: number;
  readonly count: number;
}

/** What a checked chunk tells the writer per frame: its length and timestamp (for the index). */
export interface CheckedFrames {
  readonly bytes: Uint8Array;
  readonly lengths: Uint32Array;
  readonly timestamps: Float64Array;
}

export const EMPTY_CHUNK: FrameChunk = { bytes: new Uint8Array(0), firstOffset: 0, count: 0 };

/** The frames of records read from a log (the path of a read that is not in memory). */
export function chunkOfRecords(records: readonly StoredRecord[]): FrameChunk {
  if (records.length === 0) return EMPTY_CHUNK;
  return { bytes: encodeRecords([...records], records[0].offset), firstOffset: records[0].offset, count: records.length };
}

/**
 * The frames of a read that came as frames (readFrames: each checked as it was read),
 * back to back as they lie in the file: the very bytes, with no record decoded and
 * encoded again. One run (the usual read, from one file) is served as a view of it.
 */
export function chunkOfFrames(frames: StoredFrames): FrameChunk {
  if (frames.count === 0) return EMPTY_CHUNK;
  const spans = frames.runs.map((r) => r.buf.subarray(r.starts[0], r.starts[r.starts.length - 1]));
  if (spans.length === 1) return { bytes: spans[0], firstOffset: frames.firstOffset, count: frames.count };
  const bytes = new Uint8Array(spans.reduce((n, s) => n + s.byteLength, 0));
  let at = 0;
  for (const span of spans) {
    bytes.set(span, at);
    at += span.byteLength;
  }
  return { bytes, firstOffset: frames.firstOffset, count: frames.count };
}

/**
 * Checks every frame of `chunk` (whole, CRC, magic, each holding the offset its place
 * gives it, none larger than `maxRecordBytes`) before a byte of it is written: a chunk
 * damaged on the way, or holding anything but `count` consecutive records from
 * `firstOffset`, is refused whole (CORRUPT_RECORD), as Kafka refuses a batch whose CRC fails.
 *
 * `crcsChecked`: every frame's CRC was checked by the broker that sent the chunk, and
 * the chunk arrived under that broker's signature (an HMAC-SHA256 over these very bytes,
 * auth/broker-request-signature.ts), so the bytes are the ones checked and the CRCs are
 * not computed a second time; everything else is still checked. A leader checks every
 * frame it ships (tail-cache.ts readFrameChunk; a read from its files checks each record).
 */
export function checkChunk(chunk: FrameChunk, maxRecordBytes: number, crcsChecked = false): CheckedFrames {
  const { bytes, firstOffset, count } = chunk;
  if (!Number.isSafeInteger(count) || count < 1) throw new StreamNestError("INVALID_REQUEST", "an append needs at least one record");
  const view = viewOf(bytes);
  const lengths = new Uint32Array(count);
  const timestamps = new Float64Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const check = checkFrame(bytes, at, bytes.byteLength, view, !crcsChecked);
    if (check.kind !== "ok")
      throw refused(firstOffset + i, check.kind === "partial" ? "the chunk ends inside it" : check.reason);
    if (check.offset !== firstOffset + i) throw refused(firstOffset + i, `it holds offset ${check.offset}`);
    if (check.frameBytes > maxRecordBytes)
      throw new StreamNestError("MESSAGE_TOO_LARGE", `record ${i} takes ${check.frameBytes} bytes encoded; the limit is ${maxRecordBytes}`);
    lengths[i] = check.frameBytes;
    timestamps[i] = check.timestamp;
    at += check.frameBytes;
  }
  if (at !== bytes.byteLength) throw refused(firstOffset + count, `${bytes.byteLength - at} bytes follow the last frame`);
  return { bytes, lengths, timestamps };
}

/**
 * The frames of records [from, to) of `chunk` (offsets, not positions), found by their
 * length fields; a chunk checked by checkChunk always tiles, anything else is refused.
 */
export function sliceChunk(chunk: FrameChunk, from: number, to: number): FrameChunk {
  if (from < chunk.firstOffset || to > chunk.firstOffset + chunk.count || from > to)
    throw new StreamNestError("INTERNAL_ERROR", `records [${from}, ${to}) are not within the chunk's [${chunk.firstOffset}, ${chunk.firstOffset + chunk.count})`);
  const view = viewOf(chunk.bytes);
  let at = 0;
  let start = 0;
  for (let offset = chunk.firstOffset; offset < to; offset++) {
    if (offset === from) start = at;
    if (chunk.bytes.byteLength - at < MIN_FRAME_BYTES) throw refused(offset, "the chunk ends inside it");
    at += view.getUint32(at, true) + 4;
  }
  if (from === to) start = at;
  if (at > chunk.bytes.byteLength) throw refused(to - 1, "the chunk ends inside it");
  return { bytes: chunk.bytes.subarray(start, at), firstOffset: from, count: to - from };
}

function refused(offset: number, why: string): StreamNestError {
  return new StreamNestError("CORRUPT_RECORD", `the frame of offset ${offset} in a chunk of frames is refused: ${why}`, { offset });
}
