import { FrameCursor, type StoredFrames } from "../broker/frames.ts";
import { crc32c } from "../lib/crc32c.ts";
import { BATCH_HEADER_BYTES } from "./protocol/record-batch.ts";
import type { BytesWriter } from "./protocol/schema.ts";

/**
 * Stored frames as one Kafka record batch v2 (KIP-98; uncompressed, CreateTime), encoded
 * straight from the frames' bytes: each record's key, value and headers are copied from
 * the frame into the batch with its varint lengths, with no record object in between.
 * Offsets of a read are consecutive (StreamNest's logs have no compaction), so deltas
 * from the first one describe them. The same bytes as encodeRecordBatch gives for the
 * decoded records.
 *
 * The batch is cut to a byte budget (KIP-74): records are kept while the batch stays
 * within it, except that `mayExceed` keeps the first record whatever its size, so a
 * consumer always progresses.
 */

export interface EncodedBatch {
  /** The batch, or no bytes when no record was kept. */
  batch: Uint8Array;
  /** Records kept. */
  count: number;
}

/** Bytes before the CRC-covered part: baseOffset, batchLength, leader epoch, magic, crc. */
const CRC_START = 21;

/**
 * The batch framesToBatch would give, sized but not yet written: a Fetch answer writes it
 * straight into the response (a BytesWriter), so its bytes are laid out once, with no
 * batch buffer of their own copied into the response after.
 */
export class PlannedBatch implements BytesWriter {
  private written = false;

  constructor(
    private readonly frames: StoredFrames,
    /** Records kept. */
    readonly count: number,
    readonly byteLength: number,
    private readonly base: number,
    private readonly maxTimestamp: number,
    /** Each kept record's size without its length prefix. */
    private readonly bodies: Int32Array,
    /** Called once the batch is written: the frames' memory is no longer read (a pool takes it back). */
    private readonly release: (() => void) | undefined,
  ) {}

  /** Writes the batch at `at` of `target`, once: after it the frames may be gone (see release). */
  writeTo(target: Uint8Array, at: number): void {
    if (this.written) throw new RangeError("a planned record batch is written once; its frames may be reused after");
    this.written = true;
    try {
      this.lay(target, at);
    } finally {
      this.release?.();
    }
  }

  private lay(target: Uint8Array, at: number): void {
    const { frames, count: kept, base, bodies } = this;
    if (kept === 0) return;
    const out = Buffer.from(target.buffer, target.byteOffset + at, this.byteLength);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    view.setBigInt64(0, BigInt(frames.firstOffset));
    view.setInt32(8, this.byteLength - 12);
    view.setInt32(12, -1);
    out[16] = 2;
    view.setInt16(21, 0);
    view.setInt32(23, kept - 1);
    view.setBigInt64(27, BigInt(base));
    view.setBigInt64(35, BigInt(this.maxTimestamp));
    view.setBigInt64(43, -1n);
    view.setInt16(51, -1);
    view.setInt32(53, -1);
    view.setInt32(57, kept);
    const cursor = new FrameCursor();
    let pos = BATCH_HEADER_BYTES;
    let n = 0;
    for (const run of frames.runs) {
      if (n === kept) break;
      const src = Buffer.from(run.buf.buffer, run.buf.byteOffset, run.buf.byteLength);
      for (let i = 0; i + 1 < run.starts.length && n < kept; i++, n++) {
        const c = cursor.load(run.view, run.starts[i]);
        pos = writeVarint(out, pos, bodies[n]);
        out[pos++] = 0;
        pos = writeVarlong(out, pos, c.timestamp - base);
        pos = writeVarint(out, pos, n);
        pos = writeBytes(out, pos, src, c.keyAt, c.keyLength);
        pos = writeBytes(out, pos, src, c.valueAt, c.valueLength);
        pos = writeVarint(out, pos, c.headerCount);
        let h = c.headersAt;
        for (let k = 0; k < c.headerCount; k++) {
          const nameLength = run.view.getUint32(h, true);
          pos = writeBytes(out, pos, src, h + 4, nameLength);
          h += 4 + nameLength;
          const valueLength = run.view.getInt32(h, true);
          pos = writeBytes(out, pos, src, h + 4, valueLength);
          h += 4 + (valueLength > 0 ? valueLength : 0);
        }
      }
    }
    if (pos !== this.byteLength) throw new RangeError(`record batch of ${pos} bytes laid out, ${this.byteLength} planned`);
    view.setUint32(17, crc32c(out.subarray(CRC_START)));
  }
}

const NOTHING = new Int32Array(0);

/**
 * Which of `frames` fit in `budget` (see the top of this file), and the batch's size.
 * `release`: called once the batch has been written, when the frames' memory is to be reused.
 */
export function planBatch(frames: StoredFrames, budget: number, mayExceed: boolean, release?: () => void): PlannedBatch {
  if (frames.count === 0) return new PlannedBatch(frames, 0, 0, 0, 0, NOTHING, release);
  const cursor = new FrameCursor();
  // The base timestamp is the smallest of the records kept (as encodeRecordBatch sets it),
  // which is known only once the budget has decided which are: measured first against the
  // smallest of all, then again against the smallest of those that fitted, whose deltas
  // are no larger, so at least as many fit.
  let base = frames.minTimestamp ?? Number.POSITIVE_INFINITY;
  if (frames.minTimestamp === undefined)
    for (const run of frames.runs)
      for (let i = 0; i + 1 < run.starts.length; i++) base = Math.min(base, cursor.load(run.view, run.starts[i]).timestamp);
  const bodies = new Int32Array(frames.count);
  let fit = measure(frames, cursor, base, budget, mayExceed, bodies);
  if (fit.kept > 0 && fit.minTimestamp > base) {
    base = fit.minTimestamp;
    fit = measure(frames, cursor, base, budget, mayExceed, bodies);
  }
  if (fit.kept === 0) return new PlannedBatch(frames, 0, 0, 0, 0, NOTHING, release);
  return new PlannedBatch(frames, fit.kept, fit.used, base, fit.maxTimestamp, bodies, release);
}

export function framesToBatch(frames: StoredFrames, budget: number, mayExceed: boolean): EncodedBatch {
  const plan = planBatch(frames, budget, mayExceed);
  if (plan.count === 0) return { batch: new Uint8Array(0), count: 0 };
  const out = Buffer.allocUnsafe(plan.byteLength);
  plan.writeTo(out, 0);
  return { batch: out, count: plan.count };
}

interface Fit {
  kept: number;
  /** Bytes of the batch of the records kept. */
  used: number;
  minTimestamp: number;
  maxTimestamp: number;
}

/**
 * How many records, in order, fit in `budget` with timestamps as deltas from `base`; each
 * one's size without its length prefix goes to `bodies`. A record older than `base` ends
 * the batch (its delta would be negative).
 */
function measure(frames: StoredFrames, cursor: FrameCursor, base: number, budget: number, mayExceed: boolean, bodies: Int32Array): Fit {
  let used = BATCH_HEADER_BYTES;
  let kept = 0;
  let minTimestamp = Number.POSITIVE_INFINITY;
  let maxTimestamp = Number.NEGATIVE_INFINITY;
  for (const run of frames.runs)
    for (let i = 0; i + 1 < run.starts.length; i++) {
      const c = cursor.load(run.view, run.starts[i]);
      if (c.timestamp < base) return { kept, used, minTimestamp, maxTimestamp };
      let body = 1 + varlongSize(c.timestamp - base) + varintSize(kept) + bytesSize(c.keyLength) + bytesSize(c.valueLength) + varintSize(c.headerCount);
      let at = c.headersAt;
      for (let h = 0; h < c.headerCount; h++) {
        const nameLength = run.view.getUint32(at, true);
        at += 4 + nameLength;
        const valueLength = run.view.getInt32(at, true);
        at += 4 + (valueLength > 0 ? valueLength : 0);
        body += bytesSize(nameLength) + bytesSize(valueLength);
      }
      const size = varintSize(body) + body;
      if (used + size > budget && !(mayExceed && kept === 0)) return { kept, used, minTimestamp, maxTimestamp };
      bodies[kept++] = body;
      used += size;
      if (c.timestamp < minTimestamp) minTimestamp = c.timestamp;
      if (c.timestamp > maxTimestamp) maxTimestamp = c.timestamp;
    }
  return { kept, used, minTimestamp, maxTimestamp };
}

/** Zigzag varint size of a 32-bit signed value. */
function varintSize(v: number): number {
  const u = ((v << 1) ^ (v >> 31)) >>> 0;
  return u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5;
}

/** Zigzag varlong size of a non-negative delta (a safe integer). */
function varlongSize(v: number): number {
  if (v < 0x40000000) return varintSize(v);
  let u = v * 2;
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

/** A length-prefixed field: -1 is null. */
function bytesSize(length: number): number {
  return length < 0 ? 1 : varintSize(length) + length;
}

function writeVarint(out: Buffer, pos: number, v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  while (u >= 0x80) {
    out[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  out[pos++] = u;
  return pos;
}

function writeVarlong(out: Buffer, pos: number, v: number): number {
  if (v < 0x40000000) return writeVarint(out, pos, v);
  let u = v * 2;
  while (u >= 0x80) {
    out[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  out[pos++] = u;
  return pos;
}

function writeBytes(out: Buffer, pos: number, src: Buffer, at: number, length: number): number {
  pos = writeVarint(out, pos, length);
  if (length > 0) src.copy(out, pos, at, at + length);
  return pos + (length > 0 ? length : 0);
}
