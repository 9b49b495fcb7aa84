/**
 * The on-disk frame of one record (all integers little-endian):
 *
 *   u32  length      bytes after this field (crc + body)
 *   u32  crc32c      CRC-32C of the body, as Kafka's record batches (KIP-98)
 *   body:
 *   u8   magic       format version, so the frame can evolve without guessing
 *   i64  offset      the record's own offset: a frame found at the wrong place is caught
 *   i64  timestamp   ms since the epoch
 *   i32  key length  -1 for a null key
 *        key bytes
 *   u32  value length  0xFFFFFFFF for a null value (a Kafka tombstone)
 *        value bytes
 *   u32  header count
 *   per header: u32 key length, key (UTF-8), i32 value length (-1 null), value bytes
 *
 * A null value was added after the first release without a new magic: its length
 * 0xFFFFFFFF is one no earlier frame can hold (a 4 GiB value is far beyond the largest
 * record a log accepts), so every frame written before reads exactly as it did, and a
 * frame with a value is byte for byte what it always was. Only a tombstone is new; a
 * broker from before it finds such a frame's CRC and magic intact and refuses to decode
 * it (its value overruns the frame) rather than misreading it as an empty value.
 *
 * Fixed-width lengths rather than Kafka's varints: a frame is found and checked with a
 * couple of reads, and the few bytes saved per record do not matter next to the index.
 */
import { crc32cRangeInt32 } from "../lib/crc32c.ts";
import type { RecordHeader, RecordInput, StoredRecord } from "./types.ts";

export const MAGIC = 1;
/** The value length of a null value. */
const NULL_VALUE_LENGTH = 0xffffffff;
/** length + crc */
export const FRAME_PREFIX_BYTES = 8;
/** magic + offset + timestamp + key length + value length + header count */
const FIXED_BODY_BYTES = 1 + 8 + 8 + 4 + 4 + 4;
/** The smallest possible frame: null key, empty value, no headers. */
export const MIN_FRAME_BYTES = FRAME_PREFIX_BYTES + FIXED_BODY_BYTES;

const TWO_POW_32 = 4294967296;
const utf8 = new TextEncoder();
// ignoreBOM: a header name that starts with U+FEFF keeps it.
const utf8Decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Encoded header keys, computed once per record while sizing and reused while writing. */
export interface SizedRecord {
  record: RecordInput;
  headerKeys: readonly Uint8Array[];
  frameBytes: number;
}

/** The header keys of a record without headers (never added to: sizeRecord builds a list of its own for headers). */
const NO_HEADER_KEYS: readonly Uint8Array[] = [];

export function sizeRecord(record: RecordInput): SizedRecord {
  let bytes = FRAME_PREFIX_BYTES + FIXED_BODY_BYTES + (record.value?.length ?? 0);
  if (record.key !== null) bytes += record.key.length;
  // Most records have no headers: one shared empty list, not an array per record.
  if (record.headers.length === 0) return { record, headerKeys: NO_HEADER_KEYS, frameBytes: bytes };
  const headerKeys: Uint8Array[] = [];
  for (const header of record.headers) {
    const key = utf8.encode(header.key);
    headerKeys.push(key);
    bytes += 4 + key.length + 4 + (header.value === null ? 0 : header.value.length);
  }
  return { record, headerKeys, frameBytes: bytes };
}

function writeInt64(view: DataView, at: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32);
  view.setUint32(at, value - hi * TWO_POW_32, true);
  view.setInt32(at + 4, hi, true);
}

function readInt64(view: DataView, at: number): number {
  return view.getInt32(at + 4, true) * TWO_POW_32 + view.getUint32(at, true);
}

/**
 * Writes the frames of `records` (offsets firstOffset, firstOffset+1, …) into `out` at
 * `at`; `out` must have room for the sum of their frameBytes. Returns the end position.
 */
export function encodeFrames(records: SizedRecord[], firstOffset: number, out: Uint8Array, at: number): number {
  const view = viewOf(out);
  let pos = at;
  for (let i = 0; i < records.length; i++) pos = encodeFrame(records[i], firstOffset + i, out, pos, view);
  return pos;
}

/**
 * Writes one frame with offset `offset` into `out` at `at`, through `view` (covering the
 * same bytes as `out`, built once per buffer: a DataView per record cost 5% of a batch
 * produce). Returns the end position.
 */
export function encodeFrame(sized: SizedRecord, offset: number, out: Uint8Array, at: number, view: DataView): number {
  const { record, headerKeys, frameBytes } = sized;
  const start = at;
  let pos = at;
  view.setUint32(pos, frameBytes - 4, true);
  pos += FRAME_PREFIX_BYTES;
  out[pos] = MAGIC;
  pos += 1;
  writeInt64(view, pos, offset);
  pos += 8;
  writeInt64(view, pos, record.timestamp);
  pos += 8;
  if (record.key === null) {
    view.setInt32(pos, -1, true);
    pos += 4;
  } else {
    view.setInt32(pos, record.key.length, true);
    out.set(record.key, pos + 4);
    pos += 4 + record.key.length;
  }
  if (record.value === null) {
    view.setUint32(pos, NULL_VALUE_LENGTH, true);
    pos += 4;
  } else {
    view.setUint32(pos, record.value.length, true);
    out.set(record.value, pos + 4);
    pos += 4 + record.value.length;
  }
  view.setUint32(pos, record.headers.length, true);
  pos += 4;
  for (let h = 0; h < record.headers.length; h++) {
    const key = headerKeys[h];
    const value = record.headers[h].value;
    view.setUint32(pos, key.length, true);
    out.set(key, pos + 4);
    pos += 4 + key.length;
    if (value === null) {
      view.setInt32(pos, -1, true);
      pos += 4;
    } else {
      view.setInt32(pos, value.length, true);
      out.set(value, pos + 4);
      pos += 4 + value.length;
    }
  }
  view.setInt32(start + 4, crc32cRangeInt32(view, start + FRAME_PREFIX_BYTES, pos), true);
  return pos;
}

/** Encodes records into one fresh buffer (tests and tools; the log encodes in place). */
export function encodeRecords(records: RecordInput[], firstOffset: number): Uint8Array {
  const sized = records.map(sizeRecord);
  const out = new Uint8Array(sized.reduce((sum, s) => sum + s.frameBytes, 0));
  encodeFrames(sized, firstOffset, out, 0);
  return out;
}

export type FrameCheck =
  /** A whole, intact frame of `frameBytes` bytes. */
  | { kind: "ok"; frameBytes: number; offset: number; timestamp: number }
  /** The bytes end before the frame does: a torn write, or simply a short read. */
  | { kind: "partial"; needBytes: number }
  /** A whole frame whose length, CRC, magic or layout is wrong. */
  | { kind: "corrupt"; frameBytes: number; reason: string };

/** A DataView over all of `buf`: build one per buffer and pass it to every frame call. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Checks the frame at `at` of `buf` (whose valid bytes end at `end`) without decoding
 * its payload: length, CRC and magic. `frameBytes` of a corrupt frame is only a guess
 * from its (possibly damaged) length field, or 0 when that field is impossible. `view`
 * must cover the same bytes as `buf`. `crc` false skips the CRC only, for bytes whose
 * CRCs were checked where they came from and that arrived authenticated (frame-chunk.ts).
 */
export function checkFrame(buf: Uint8Array, at: number, end: number, view: DataView = viewOf(buf), crc = true): FrameCheck {
  if (end - at < FRAME_PREFIX_BYTES) return { kind: "partial", needBytes: FRAME_PREFIX_BYTES };
  const length = view.getUint32(at, true);
  const frameBytes = length + 4;
  if (frameBytes < MIN_FRAME_BYTES) return { kind: "corrupt", frameBytes: 0, reason: `impossible frame length ${length}` };
  if (end - at < frameBytes) return { kind: "partial", needBytes: frameBytes };
  const bodyStart = at + FRAME_PREFIX_BYTES;
  const bodyEnd = at + frameBytes;
  // Signed on both sides: see crc32cRangeInt32.
  if (crc) {
    const stored = view.getInt32(at + 4, true);
    const actual = crc32cRangeInt32(view, bodyStart, bodyEnd);
    if (stored !== actual) {
      return { kind: "corrupt", frameBytes, reason: `CRC32C mismatch (stored ${hex(stored >>> 0)}, computed ${hex(actual >>> 0)})` };
    }
  }
  if (buf[bodyStart] !== MAGIC) return { kind: "corrupt", frameBytes, reason: `unknown magic ${buf[bodyStart]}` };
  return {
    kind: "ok",
    frameBytes,
    offset: readInt64(view, bodyStart + 1),
    timestamp: readInt64(view, bodyStart + 9),
  };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

function overrun(at: number): never {
  throw new RangeError(`frame at ${at} overruns its length`);
}

/**
 * Decodes a frame already checked by checkFrame. Keys, values and header values are
 * views into `buf`, not copies (a copy per field cost ~10% of a 1,000-record read): pass
 * a buffer nothing will overwrite, as the segment reader does with a fresh buffer per
 * pread; a record kept keeps that buffer alive. With `copyFields`, they are copies, for
 * a buffer that is reused (read-scratch.ts). Throws a RangeError
 * if the (CRC-valid) body does not fit its own layout, which only a bug could produce.
 * `view` must cover the same bytes as `buf`.
 */
export function decodeFrame(buf: Uint8Array, at: number, frameBytes: number, view: DataView = viewOf(buf), copyFields = false): StoredRecord {
  const end = at + frameBytes;
  let pos = at + FRAME_PREFIX_BYTES + 1;
  const offset = readInt64(view, pos);
  const timestamp = readInt64(view, pos + 8);
  pos += 16;
  // Every length is checked against the frame's end before it is used: the CRC proves
  // the bytes are as written, not that a writer laid them out right.
  if (pos + 4 > end) overrun(at);
  const keyLength = view.getInt32(pos, true);
  pos += 4;
  let key: Uint8Array | null = null;
  if (keyLength !== -1) {
    if (keyLength < 0 || pos + keyLength > end) overrun(at);
    key = copyFields ? buf.slice(pos, pos + keyLength) : buf.subarray(pos, pos + keyLength);
    pos += keyLength;
  }
  if (pos + 4 > end) overrun(at);
  const valueLength = view.getUint32(pos, true);
  pos += 4;
  let value: Uint8Array | null = null;
  if (valueLength !== NULL_VALUE_LENGTH) {
    if (pos + valueLength > end) overrun(at);
    value = copyFields ? buf.slice(pos, pos + valueLength) : buf.subarray(pos, pos + valueLength);
    pos += valueLength;
  }
  if (pos + 4 > end) overrun(at);
  const headerCount = view.getUint32(pos, true);
  pos += 4;
  const headers: RecordHeader[] = [];
  for (let h = 0; h < headerCount; h++) {
    if (pos + 4 > end) overrun(at);
    const keyBytes = view.getUint32(pos, true);
    pos += 4;
    if (pos + keyBytes > end) overrun(at);
    const headerKey = utf8Decoder.decode(buf.subarray(pos, pos + keyBytes));
    pos += keyBytes;
    if (pos + 4 > end) overrun(at);
    const headerValueLength = view.getInt32(pos, true);
    pos += 4;
    let headerValue: Uint8Array | null = null;
    if (headerValueLength !== -1) {
      if (headerValueLength < 0 || pos + headerValueLength > end) overrun(at);
      headerValue = copyFields ? buf.slice(pos, pos + headerValueLength) : buf.subarray(pos, pos + headerValueLength);
      pos += headerValueLength;
    }
    headers.push({ key: headerKey, value: headerValue });
  }
  if (pos !== end) throw new RangeError(`frame at ${at} has ${end - pos} trailing bytes`);
  return { offset, timestamp, key, value, headers };
}
