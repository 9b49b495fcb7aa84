import { type FrameBatch, FrameBatchBuilder, type FrameHeader, type FrameMemory } from "../broker/frames.ts";
import { protocolError } from "./protocol/error-codes.ts";
import { corrupt, type DecodeOptions, type OpenedBatch, openRecordBatch } from "./protocol/record-batch.ts";

/**
 * A produced record batch v2 (KIP-98) turned straight into storage's frames: the header
 * is checked once (length, magic, the batch CRC) and decompressed once, then each record's
 * key and value are copied from the batch's bytes into its frame, with no object per
 * record. Records are read as record-batch.ts's decoder reads them, with the same checks
 * (lengths within the record, nothing left over), so a batch this refuses that one would
 * refuse too; the frames hold what the decoder's records would have stored.
 */

export interface FramedBatch {
  header: Omit<OpenedBatch, "raw">;
  frames: FrameBatch;
}

/** Fatal: a header key is a Kafka STRING; one that is not UTF-8 is refused, never stored rewritten. */
const HEADER_NAME = new TextDecoder("utf-8", { fatal: true });
const UTF8 = new TextEncoder();

/**
 * `now`: the timestamp of records in a LogAppendTime batch or with none (negative), as
 * produce stamps them. `memory`: where the frames are laid out (the log gives it back
 * through the batch's release once it holds nothing of them).
 */
export function batchToFrames(data: Uint8Array, now: number, options: DecodeOptions = {}, memory?: FrameMemory): FramedBatch {
  const { raw, ...header } = openRecordBatch(data, options);
  const src = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  // A frame adds at most 30 bytes of fixed fields to a Kafka record (whose own take at least 7).
  const builder = new FrameBatchBuilder(raw.length + header.recordCount * 30, header.recordCount, memory);
  const base = Number(header.baseTimestamp);
  const logAppendTime = header.timestampType === 1;
  const cursor = new VarReader(src);
  for (let i = 0; i < header.recordCount; i++) {
    const length = cursor.varint();
    if (length < 0 || length > src.length - cursor.pos) throw corrupt(`record ${i}: length ${length} overruns the batch`);
    const end = cursor.pos + length;
    cursor.end = end;
    cursor.pos++; // record attributes: unused by KIP-98
    const delta = cursor.varlong();
    cursor.varint(); // offset delta: offsets are the log's to assign
    const keyLength = cursor.varint();
    const keyAt = cursor.pos;
    cursor.skip(keyLength, "record key");
    const valueLength = cursor.varint();
    const valueAt = cursor.pos;
    cursor.skip(valueLength, "record value");
    const headerCount = cursor.varint();
    if (headerCount < 0) throw corrupt(`negative header count ${headerCount}`);
    if (headerCount > end - cursor.pos) throw corrupt(`record headers: array of ${headerCount} elements cannot fit in the ${end - cursor.pos} bytes left`);
    let headers: FrameHeader[] | null = null;
    if (headerCount > 0) {
      headers = [];
      for (let h = 0; h < headerCount; h++) {
        const nameLength = cursor.varint();
        const nameAt = cursor.pos;
        if (nameLength < 0) throw corrupt(`header key: negative length ${nameLength}`);
        cursor.skip(nameLength, "header key");
        // Decoded and encoded again, as a header name read as a string is stored.
        const key = UTF8.encode(headerName(raw.subarray(nameAt, nameAt + nameLength), i, h));
        const valueBytes = cursor.varint();
        const at = cursor.pos;
        cursor.skip(valueBytes, "header value");
        headers.push({ key, value: valueBytes === -1 ? null : raw.subarray(at, at + valueBytes) });
      }
    }
    if (cursor.pos !== end) throw corrupt(`record has ${end - cursor.pos} bytes past its headers`);
    cursor.end = src.length;
    const timestamp = base + delta;
    builder.add(logAppendTime || timestamp < 0 ? now : storableTimestamp(timestamp, i), src, keyAt, keyLength, valueAt, valueLength, headers);
  }
  if (cursor.pos !== src.length) throw corrupt(`${src.length - cursor.pos} bytes after the batch's ${header.recordCount} records`);
  return { header, frames: builder.finish() };
}

/**
 * A record's CreateTime as stored: milliseconds in a safe integer (up to 2^53 - 1, some
 * 285,000 years from 1970). A Kafka int64 past that is refused INVALID_TIMESTAMP, as a
 * Kafka broker answers a timestamp outside its message.timestamp.*.max.ms (KIP-937),
 * rather than stored rounded or called a corrupt batch, which clients retry.
 */
export function storableTimestamp(timestamp: number, record: number): number {
  if (Number.isSafeInteger(timestamp)) return timestamp;
  throw protocolError(
    "INVALID_REQUEST",
    "INVALID_TIMESTAMP",
    `record ${record}: timestamp ${timestamp} ms is out of range; timestamps are stored up to ${Number.MAX_SAFE_INTEGER} ms`,
  );
}

/**
 * A header key as text. Found by fuzzing: bytes ff fe were stored as two U+FFFD and read
 * back as ef bf bd ef bf bd, under a NONE answer; the record is refused instead.
 */
function headerName(bytes: Uint8Array, record: number, header: number): string {
  try {
    return HEADER_NAME.decode(bytes);
  } catch {
    throw protocolError("INVALID_REQUEST", "INVALID_RECORD", `record ${record}: the key of header ${header} is not valid UTF-8 (header keys are strings)`);
  }
}

/** Kafka's varints read in place (protocol guide, "Protocol Primitive Types"), bounded by `end`. */
class VarReader {
  pos = 0;
  end: number;

  constructor(private readonly buf: Uint8Array) {
    this.end = buf.length;
  }

  private byte(): number {
    if (this.pos >= this.end) throw corrupt("record: truncated reading a varint");
    return this.buf[this.pos++];
  }

  /** Zigzag 32-bit varint. */
  varint(): number {
    let u = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      u += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (u > 0xffffffff) break;
        return (u >>> 1) ^ -(u & 1);
      }
    }
    throw corrupt("varint longer than 32 bits");
  }

  /** Zigzag 64-bit varint as a number: exact up to 49 bits, beyond through BigInt. */
  varlong(): number {
    const start = this.pos;
    let u = 0;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      u += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
    this.pos = start;
    let big = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        big = BigInt.asUintN(64, big);
        return Number((big >> 1n) ^ -(big & 1n));
      }
    }
    throw corrupt("varlong longer than 64 bits");
  }

  /** Skips a field of `n` bytes (-1: null, nothing to skip). */
  skip(n: number, what: string): void {
    if (n < -1) throw corrupt(`${what}: negative length ${n}`);
    if (n > 0) {
      if (n > this.end - this.pos) throw corrupt(`${what}: ${n} bytes overrun the record`);
      this.pos += n;
    }
  }
}
