/**
 * A read whose records come as their frames (record-codec.ts), checked as every read
 * checks them (length, CRC-32C, offset) but not decoded: an adapter re-encoding them
 * into its own wire format (a Kafka record batch) reads the fields in place through a
 * FrameCursor, so a 10,000-record fetch makes no object per record.
 */
import type { ReadSink } from "./segment-reader.ts";

/** Consecutive frames of one buffer: offsets firstOffset, firstOffset + 1, … */
export interface FrameRun {
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** Start of each frame in `buf`, and the end of the last: one more than the frames. */
  readonly starts: number[];
  readonly firstOffset: number;
}

/** The frames of one read, in offset order, from `firstOffset` on. */
export interface StoredFrames {
  readonly firstOffset: number;
  readonly count: number;
  readonly runs: readonly FrameRun[];
  /** Value, key and header bytes of every record (header names as UTF-8), as produce counts them. */
  readonly recordBytes: number;
  /** The smallest timestamp of the records (ms), when the read noted it (FrameSink does). */
  readonly minTimestamp?: number;
}

export class FrameSink implements ReadSink {
  private readonly runs: { buf: Uint8Array; view: DataView; starts: number[]; firstOffset: number }[] = [];
  private n = 0;
  private recordBytes = 0;
  private minTimestamp = Number.POSITIVE_INFINITY;

  constructor(
    private readonly firstOffset: number,
    /** Where file bytes are read into (see ReadSink): the frames' buffers are then the caller's to give back. */
    readonly readMemory?: (length: number) => Uint8Array,
  ) {}

  get count(): number {
    return this.n;
  }

  take(buf: Uint8Array, at: number, frameBytes: number, view: DataView): void {
    const last = this.runs[this.runs.length - 1];
    if (last !== undefined && last.buf === buf && last.starts[last.starts.length - 1] === at) last.starts.push(at + frameBytes);
    else this.runs.push({ buf, view, starts: [at, at + frameBytes], firstOffset: this.firstOffset + this.n });
    this.n++;
    // Noted here, where the frame is at hand, so an encoder needs no pass of its own for it.
    const timestamp = view.getInt32(at + TIMESTAMP_AT + 4, true) * TWO_POW_32 + view.getUint32(at + TIMESTAMP_AT, true);
    if (timestamp < this.minTimestamp) this.minTimestamp = timestamp;
    // The frame less its fixed fields and each header's two lengths.
    let pos = at + KEY_LENGTH_AT;
    const keyLength = view.getInt32(pos, true);
    pos += 4 + (keyLength > 0 ? keyLength : 0);
    const valueLength = view.getUint32(pos, true);
    pos += 4 + (valueLength === 0xffffffff ? 0 : valueLength);
    this.recordBytes += frameBytes - FIXED_BYTES - 8 * view.getUint32(pos, true);
  }

  get frames(): StoredFrames {
    return { firstOffset: this.firstOffset, count: this.n, runs: this.runs, recordBytes: this.recordBytes, minTimestamp: this.minTimestamp };
  }
}

const TWO_POW_32 = 4294967296;
/** length, crc, magic, offset, timestamp, key length, value length, header count */
const FIXED_BYTES = 4 + 4 + 1 + 8 + 8 + 4 + 4 + 4;
/** Where a frame's timestamp lies: after length, crc, magic and offset. */
const TIMESTAMP_AT = 4 + 4 + 1 + 8;
/** Where a frame's key length lies: after length, crc, magic, offset and timestamp. */
const KEY_LENGTH_AT = 4 + 4 + 1 + 8 + 8;

/**
 * The fields of one checked frame, read in place: positions and lengths into the frame's
 * buffer, loaded frame after frame into the same cursor. Lengths of -1 are null.
 */
export class FrameCursor {
  offset = 0;
  timestamp = 0;
  keyAt = 0;
  keyLength = -1;
  valueAt = 0;
  valueLength = -1;
  headerCount = 0;
  /** Where the headers begin: per header, u32 name length, name, i32 value length (-1 null), value. */
  headersAt = 0;

  /** Loads the frame at `at` (checked by the read that returned it). */
  load(view: DataView, at: number): this {
    let pos = at + 9;
    this.offset = view.getInt32(pos + 4, true) * TWO_POW_32 + view.getUint32(pos, true);
    this.timestamp = view.getInt32(pos + 12, true) * TWO_POW_32 + view.getUint32(pos + 8, true);
    pos += 16;
    const keyLength = view.getInt32(pos, true);
    this.keyLength = keyLength;
    this.keyAt = pos + 4;
    pos += 4 + (keyLength > 0 ? keyLength : 0);
    const valueLength = view.getUint32(pos, true);
    this.valueLength = valueLength === 0xffffffff ? -1 : valueLength;
    this.valueAt = pos + 4;
    pos += 4 + (this.valueLength > 0 ? valueLength : 0);
    this.headerCount = view.getUint32(pos, true);
    this.headersAt = pos + 4;
    return this;
  }
}
