import { crc32c } from "../../lib/crc32c.ts";
import { COMPRESSION, type CompressionCodec, compress, compressionName, decompress } from "./compression.ts";
import { protocolError } from "./error-codes.ts";
import { Reader } from "./reader.ts";
import { utf8, Writer } from "./writer.ts";

/**
 * Record batch v2 (KIP-98; Kafka protocol guide "Record Batch"):
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (2)
 *   | crc uint32 (CRC-32C of everything after it) | attributes int16 | lastOffsetDelta int32
 *   | baseTimestamp int64 | maxTimestamp int64 | producerId int64 | producerEpoch int16
 *   | baseSequence int32 | recordCount int32 | records (compressed as a whole)
 *
 * and each record: length varint | attributes int8 | timestampDelta varlong
 *   | offsetDelta varint | key (varint length, -1 = null) | value (same)
 *   | header count varint | headers: key (varint length) value (varint length, -1 = null)
 *
 * baseOffset and partitionLeaderEpoch lie outside the CRC, so a broker can assign
 * offsets and stamp its epoch without re-checksumming (see setBaseOffset).
 */

export const BATCH_HEADER_BYTES = 61;
/** Bytes before the CRC-covered part: baseOffset, batchLength, leader epoch, magic, crc. */
const CRC_START = 21;

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

export interface KafkaRecord {
  /** Offset of this record: the batch's baseOffset plus its offset delta. */
  offset: bigint;
  /** Absolute timestamp (ms): baseTimestamp plus the record's delta. */
  timestamp: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

export interface RecordBatch {
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  magic: 2;
  crc: number;
  attributes: number;
  compression: CompressionCodec;
  /** 0 = CreateTime, 1 = LogAppendTime (attributes bit 3). */
  timestampType: 0 | 1;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  records: KafkaRecord[];
}

export interface RecordInput {
  key?: Uint8Array | null;
  value: Uint8Array | null;
  headers?: { key: string; value: Uint8Array | null }[];
  timestamp: bigint;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
}

export interface BatchInput {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionCodec;
  timestampType?: 0 | 1;
  isTransactional?: boolean;
  /** -1 and -1 for a producer that is not idempotent. */
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** For LogAppendTime batches, the broker's time; otherwise the records' largest. */
  maxTimestamp?: bigint;
  records: RecordInput[];
}

export function encodeRecordBatch(batch: BatchInput): Uint8Array {
  const records = batch.records;
  const baseTimestamp = records.length > 0 ? records.reduce((m, r) => (r.timestamp < m ? r.timestamp : m), records[0].timestamp) : -1n;
  const maxTimestamp =
    batch.maxTimestamp ?? (records.length > 0 ? records.reduce((m, r) => (r.timestamp > m ? r.timestamp : m), baseTimestamp) : -1n);
  const body = new Writer(64 + records.length * 32);
  let lastOffsetDelta = 0;
  records.forEach((rec, i) => {
    const offsetDelta = rec.offsetDelta ?? i;
    lastOffsetDelta = Math.max(lastOffsetDelta, offsetDelta);
    writeRecord(body, rec, offsetDelta, rec.timestamp - baseTimestamp);
  });
  const codec = batch.compression ?? COMPRESSION.none;
  const payload = compress(codec, body.finish());

  const attributes =
    codec | ((batch.timestampType ?? 0) << 3) | (batch.isTransactional ? 0x10 : 0);
  const w = new Writer(BATCH_HEADER_BYTES + payload.length);
  w.int64(batch.baseOffset ?? 0n);
  w.int32(BATCH_HEADER_BYTES - 12 + payload.length);
  w.int32(batch.partitionLeaderEpoch ?? -1);
  w.int8(2);
  const crcAt = w.reserve(4);
  w.int16(attributes);
  w.int32(lastOffsetDelta);
  w.int64(baseTimestamp);
  w.int64(maxTimestamp);
  w.int64(batch.producerId ?? -1n);
  w.int16(batch.producerEpoch ?? -1);
  w.int32(batch.baseSequence ?? -1);
  w.int32(records.length);
  w.bytes(payload);
  const out = w.finish();
  w.setUint32At(crcAt, crc32c(out.subarray(CRC_START)));
  return out;
}

/**
 * Writes one record straight into the batch body: its length prefix is computed first
 * (as KIP-98's varint-framed records need) instead of encoding it into a scratch buffer.
 */
function writeRecord(w: Writer, rec: RecordInput, offsetDelta: number, timestampDelta: bigint): void {
  const key = rec.key ?? null;
  const headers = (rec.headers ?? []).map((h) => ({ key: utf8(h.key), value: h.value }));
  let size = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta) + varBytesSize(key) + varBytesSize(rec.value);
  size += varintSize(headers.length);
  for (const h of headers) size += varBytesSize(h.key) + varBytesSize(h.value);
  w.varint(size);
  w.int8(0);
  w.varlong(timestampDelta);
  w.varint(offsetDelta);
  writeVarBytes(w, key);
  writeVarBytes(w, rec.value);
  w.varint(headers.length);
  for (const h of headers) {
    writeVarBytes(w, h.key);
    writeVarBytes(w, h.value);
  }
}

function varintSize(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

function varlongSize(v: bigint): number {
  if (v >= -0x80000000n && v <= 0x7fffffffn) return varintSize(Number(v));
  let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

function varBytesSize(b: Uint8Array | null): number {
  return b === null ? 1 : varintSize(b.length) + b.length;
}

function writeVarBytes(w: Writer, b: Uint8Array | null): void {
  if (b === null) {
    w.varint(-1);
    return;
  }
  w.varint(b.length);
  w.bytes(b);
}

export interface DecodeOptions {
  /** Cap on a batch's decompressed records, against compression bombs. */
  maxDecompressedBytes?: number;
}

const DEFAULT_MAX_DECOMPRESSED = 256 * 1024 * 1024;

/** The magic byte of the batch (or legacy message) at the start of `data`. */
export function magicOf(data: Uint8Array): number {
  const r = new Reader(data);
  r.skip(16, "batch header");
  return r.int8();
}

/**
 * Decodes every batch in a `records` field, in order. A Produce request's field holds
 * one batch; a Fetch answer's may hold many and end with a partial one (a broker cuts at
 * max bytes), so `allowPartialTail` drops an incomplete last batch instead of failing.
 */
export function decodeRecordBatches(data: Uint8Array, options: DecodeOptions & { allowPartialTail?: boolean } = {}): RecordBatch[] {
  const out: RecordBatch[] = [];
  forEachBatch(data, options.allowPartialTail === true, (batch) => out.push(decodeRecordBatch(batch, options)));
  return out;
}

/**
 * Calls `each` with every whole batch of a `records` field, in order, as a view; a
 * partial last batch is dropped with `allowPartialTail` and refused otherwise.
 */
export function forEachBatch(data: Uint8Array, allowPartialTail: boolean, each: (batch: Uint8Array) => void): void {
  let pos = 0;
  while (pos < data.length) {
    const left = data.length - pos;
    if (left < 12) {
      if (allowPartialTail) break;
      throw corrupt(`${left} bytes after the last batch are not a batch header`);
    }
    const length = new DataView(data.buffer, data.byteOffset + pos + 8, 4).getInt32(0);
    if (left > 16) checkMagic(data[pos + 16]);
    if (length < BATCH_HEADER_BYTES - 12) throw corrupt(`batch length ${length} is below the batch header's size`);
    if (length > left - 12) {
      if (allowPartialTail) break;
      throw corrupt(`batch of ${length + 12} bytes is truncated to ${left}`);
    }
    each(data.subarray(pos, pos + 12 + length));
    pos += 12 + length;
  }
}

/** A batch's header fields, checked (length, magic, CRC), and its records' bytes decompressed. */
export type OpenedBatch = Omit<RecordBatch, "records"> & { recordCount: number; raw: Uint8Array };

/** Decodes one whole batch, checking its length, magic and CRC before anything else. */
export function decodeRecordBatch(data: Uint8Array, options: DecodeOptions = {}): RecordBatch {
  const { recordCount: count, raw, ...header } = openRecordBatch(data, options);
  const rr = new Reader(raw);
  const records: KafkaRecord[] = [];
  for (let i = 0; i < count; i++) records.push(readRecord(rr, header.baseOffset, header.baseTimestamp));
  if (rr.remaining !== 0) throw corrupt(`${rr.remaining} bytes after the batch's ${count} records`);
  return { ...header, records };
}

/**
 * The header of one whole batch and its records' bytes, uncompressed, after the checks
 * every batch passes first (length, magic, CRC, codec, a record count that can fit):
 * for a reader that walks the records itself.
 */
export function openRecordBatch(data: Uint8Array, options: DecodeOptions = {}): OpenedBatch {
  const r = new Reader(data);
  const baseOffset = r.int64();
  const batchLength = r.int32();
  const partitionLeaderEpoch = r.int32();
  // The magic byte sits at the same place in legacy message sets, so it is checked
  // first: an old client's MessageSet gets a clear answer, not a length complaint.
  checkMagic(r.int8());
  if (batchLength < BATCH_HEADER_BYTES - 12 || batchLength !== data.length - 12) {
    throw corrupt(`batch length ${batchLength} does not match the ${data.length - 12} bytes after it`);
  }
  const crc = r.uint32();
  const actual = crc32c(data.subarray(CRC_START));
  if (actual !== crc) {
    throw protocolError("CORRUPT_RECORD", "CORRUPT_MESSAGE", `batch CRC mismatch: stored ${crc}, computed ${actual}`);
  }
  const attributes = r.int16();
  const codec = attributes & 0x07;
  compressionName(codec);
  const lastOffsetDelta = r.int32();
  const baseTimestamp = r.int64();
  const maxTimestamp = r.int64();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const baseSequence = r.int32();
  const count = r.int32();
  if (count < 0) throw corrupt(`negative record count ${count}`);
  const payload = r.bytes(r.remaining, "records");
  const raw = decompress(codec as CompressionCodec, payload, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED);
  // Each record takes at least 7 bytes, so a count above that is a lie, refused before the loop.
  if (count > raw.length) throw corrupt(`record count ${count} cannot fit in ${raw.length} bytes`);
  return {
    baseOffset,
    partitionLeaderEpoch,
    magic: 2,
    crc,
    attributes,
    compression: codec as CompressionCodec,
    timestampType: (attributes & 0x08) !== 0 ? 1 : 0,
    isTransactional: (attributes & 0x10) !== 0,
    isControl: (attributes & 0x20) !== 0,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    recordCount: count,
    raw,
  };
}

function checkMagic(magic: number): void {
  if (magic === 2) return;
  throw protocolError(
    "CORRUPT_RECORD",
    "UNSUPPORTED_FOR_MESSAGE_FORMAT",
    `message format v${magic} (magic ${magic}) is not supported: StreamNest speaks record batch v2 only (Produce v3+, Fetch v4+)`,
  );
}

function readRecord(batch: Reader, baseOffset: bigint, baseTimestamp: bigint): KafkaRecord {
  const length = batch.varint();
  const r = batch.subReader(length, "record");
  r.int8(); // record attributes: unused by KIP-98
  const timestampDelta = r.varlong();
  const offsetDelta = r.varint();
  const key = readVarBytes(r, "record key");
  const value = readVarBytes(r, "record value");
  const headerCount = r.varint();
  if (headerCount < 0) throw corrupt(`negative header count ${headerCount}`);
  r.arrayCount(headerCount, "record headers");
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const keyLength = r.varint();
    const headerKey = r.utf8(keyLength, "header key");
    headers.push({ key: headerKey, value: readVarBytes(r, "header value") });
  }
  if (r.remaining !== 0) throw corrupt(`record has ${r.remaining} bytes past its headers`);
  return {
    offset: baseOffset + BigInt(offsetDelta),
    timestamp: baseTimestamp + timestampDelta,
    key,
    value,
    headers,
  };
}

function readVarBytes(r: Reader, what: string): Uint8Array | null {
  const n = r.varint();
  if (n === -1) return null;
  return r.bytes(n, what);
}

/** Rewrites a batch's base offset in place (outside the CRC, KIP-98), as a leader does on append. */
export function setBaseOffset(batch: Uint8Array, baseOffset: bigint): void {
  new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setBigInt64(0, baseOffset);
}

/** Rewrites a batch's partition leader epoch in place (outside the CRC). */
export function setPartitionLeaderEpoch(batch: Uint8Array, epoch: number): void {
  new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setInt32(12, epoch);
}

export function corrupt(message: string): Error {
  return protocolError("CORRUPT_RECORD", "CORRUPT_MESSAGE", message);
}
