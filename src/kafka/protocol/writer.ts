import { copyBytes, unfilledBytes } from "../../lib/fast-bytes.ts";
import { protocolError } from "./error-codes.ts";
import type { BytesWriter } from "./schema.ts";

const ENCODER = new TextEncoder();

/** Where a Writer takes its buffers and gives back those it outgrew (a BytePool). */
export interface WriterMemory {
  take(length: number): Uint8Array;
  give(bytes: Uint8Array): void;
}

/**
 * A growable big-endian byte buffer for Kafka protocol primitives (protocol guide,
 * "Protocol Primitive Types"). It doubles its capacity as it fills, so encoding a message
 * costs one copy per doubling, not one per field.
 */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(
    initialCapacity = 256,
    /** Without: buffers of their own. With: the finished bytes are the memory's, for its owner to give back. */
    private readonly memory?: WriterMemory,
  ) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view; copy it if the writer is used again). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Doubling, or room for a large field (a fetched record batch) plus as much again
    // as was written: a 1 MiB batch then costs one 1 MiB buffer, not a 2 MiB one.
    const cap = Math.max(this.buf.length * 2, this.pos + n + this.buf.length);
    // Not zeroed: every byte up to pos is written (or reserved and filled) before finish().
    const next = this.memory === undefined ? unfilledBytes(cap) : this.memory.take(cap);
    next.set(this.buf.subarray(0, this.pos));
    // Nothing has a view of an unfinished writer's buffer.
    this.memory?.give(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  int8(v: number): this {
    this.ensure(1);
    this.view.setInt8(this.pos++, v);
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.view.setBigInt64(this.pos, BigInt.asIntN(64, v));
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
    return this;
  }

  /** A UUID given as 32 hex digits, dashes allowed anywhere (the 8-4-4-4-12 form). */
  uuid(v: string): this {
    const hex = v.replaceAll("-", "");
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
      throw protocolError("INVALID_REQUEST", "INVALID_REQUEST", `not a UUID: ${JSON.stringify(v)}`);
    }
    this.ensure(16);
    for (let i = 0; i < 16; i++) this.buf[this.pos + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    this.pos += 16;
    return this;
  }

  uvarint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw protocolError("INVALID_REQUEST", "INVALID_REQUEST", `unsigned varint out of range: ${v}`);
    }
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** Zigzag signed 32-bit varint. */
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag signed 64-bit varint. */
  varlong(v: bigint): this {
    // A value that fits 32 bits has the same zigzag bytes at either width: skip BigInt math.
    if (v >= -0x80000000n && v <= 0x7fffffffn) return this.varint(Number(v));
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  bytes(v: Uint8Array): this {
    this.ensure(v.length);
    copyBytes(v, this.buf, this.pos);
    this.pos += v.length;
    return this;
  }

  /** Bytes a BytesWriter lays out itself, in place. */
  written(v: BytesWriter): this {
    this.ensure(v.byteLength);
    v.writeTo(this.buf, this.pos);
    this.pos += v.byteLength;
    return this;
  }

  /** Reserves `n` bytes to fill in later (a length or CRC known only at the end). */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  setInt32At(at: number, v: number): void {
    this.view.setInt32(at, v);
  }

  setUint32At(at: number, v: number): void {
    this.view.setUint32(at, v);
  }
}

export function utf8(s: string): Uint8Array {
  return ENCODER.encode(s);
}
