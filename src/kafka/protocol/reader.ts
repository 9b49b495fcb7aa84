import { protocolError } from "./error-codes.ts";

/**
 * A cursor over Kafka protocol bytes (big-endian, Kafka protocol guide "Protocol Primitive
 * Types"). Every read checks the bytes left first, so truncated input is a
 * StreamNestError naming what was being read, never a RangeError from a DataView; every
 * declared length is checked against the bytes left before anything is sliced, so a
 * negative or huge length is refused without allocating.
 *
 * Slices (`bytes`, `subReader`) share the underlying memory: a decoded record value is a
 * view into the request frame, not a copy.
 */
export class Reader {
  private readonly view: DataView;
  private pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
    /**
     * Array elements this input may still declare, shared with its sub-readers
     * (ElementBudget); unlimited unless the caller gives one.
     */
    private readonly budget: ElementBudget = { left: Infinity, limit: Infinity },
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws a clear error unless `n` more bytes are there for `what`. */
  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw protocolError(
        "INVALID_REQUEST",
        "CORRUPT_MESSAGE",
        `truncated input: ${what} needs ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`,
      );
    }
  }

  int8(): number {
    this.need(1, "int8");
    return this.view.getInt8(this.pos++);
  }

  uint8(): number {
    this.need(1, "uint8");
    return this.view.getUint8(this.pos++);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2, "int16");
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2, "uint16");
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4, "int32");
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4, "uint32");
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8, "int64");
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.need(8, "float64");
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** 16 bytes, returned in the 8-4-4-4-12 hex form. */
  uuid(): string {
    this.need(16, "uuid");
    let hex = "";
    for (let i = 0; i < 16; i++) {
      hex += this.buf[this.pos + i].toString(16).padStart(2, "0");
      if (i === 3 || i === 5 || i === 7 || i === 9) hex += "-";
    }
    this.pos += 16;
    return hex;
  }

  /** Unsigned LEB128 of at most 32 bits (5 bytes), as KIP-482's compact lengths use. */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.uint8();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) break;
        return result;
      }
    }
    throw protocolError("INVALID_REQUEST", "CORRUPT_MESSAGE", "unsigned varint longer than 32 bits");
  }

  /** Zigzag-encoded signed 32-bit varint (record fields, KIP-98). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zigzag-encoded signed 64-bit varint (record timestamp deltas). */
  varlong(): bigint {
    // Fast path: values of up to 49 bits (7 bytes; every realistic timestamp delta) are
    // assembled as a double, exactly, and only the result becomes a BigInt.
    let u = 0;
    for (let i = 0; i < 7; i++) {
      const b = this.uint8();
      u += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return BigInt(u % 2 === 0 ? u / 2 : -(u + 1) / 2);
    }
    let result = BigInt(u);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      const b = this.uint8();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        if (result >> 64n !== 0n) break;
        return (result >> 1n) ^ -(result & 1n);
      }
    }
    throw protocolError("INVALID_REQUEST", "CORRUPT_MESSAGE", "varlong longer than 64 bits");
  }

  /** `n` bytes as a view into the input (no copy). */
  bytes(n: number, what = "bytes"): Uint8Array {
    if (n < 0) throw lengthError(what, n);
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  utf8(n: number, what = "string"): string {
    return DECODER.decode(this.bytes(n, what));
  }

  skip(n: number, what = "skipped bytes"): void {
    this.need(n, what);
    this.pos += n;
  }

  /** A reader over the next `n` bytes; this reader moves past them. */
  subReader(n: number, what: string): Reader {
    if (n < 0) throw lengthError(what, n);
    this.need(n, what);
    const sub = new Reader(this.buf, this.pos, this.pos + n, this.budget);
    this.pos += n;
    return sub;
  }

  // ---- length prefixes, checked before any slice or loop ----

  /** int16 length (-1 is null when allowed). */
  stringLength(nullable: boolean, what: string): number {
    return checkLength(this.int16(), nullable, what);
  }

  /** int32 length for bytes and arrays (-1 is null when allowed). */
  int32Length(nullable: boolean, what: string): number {
    return checkLength(this.int32(), nullable, what);
  }

  /** KIP-482 compact length: unsigned varint N+1, 0 meaning null. */
  compactLength(nullable: boolean, what: string): number {
    return checkLength(this.uvarint() - 1, nullable, what);
  }

  /** An array count may not exceed the bytes left: every element takes at least one byte. */
  arrayCount(n: number, what: string): number {
    if (n > this.remaining) {
      throw protocolError(
        "INVALID_REQUEST",
        "CORRUPT_MESSAGE",
        `${what}: array of ${n} elements cannot fit in the ${this.remaining} bytes left`,
      );
    }
    this.budget.left -= n;
    if (this.budget.left < 0) {
      throw protocolError(
        "INVALID_REQUEST",
        "INVALID_REQUEST",
        `${what}: the input declares more than ${this.budget.limit} array elements in all`,
      );
    }
    return n;
  }
}

/**
 * How many array elements one input may declare in all, across nested arrays. Every
 * element takes at least a byte, but it becomes an object of a hundred or more in memory
 * and a unit of work for a handler on the broker's one event loop: a 2 MB Metadata request
 * naming a million topics measured 2 GB and a 30 s stall of every other client.
 */
export interface ElementBudget {
  left: number;
  readonly limit: number;
}

export function elementBudget(limit: number): ElementBudget {
  return { left: limit, limit };
}

const DECODER = new TextDecoder("utf-8", { fatal: false });

function checkLength(n: number, nullable: boolean, what: string): number {
  if (n === -1 && nullable) return -1;
  if (n < 0) throw lengthError(what, n);
  return n;
}

function lengthError(what: string, n: number): Error {
  return protocolError(
    "INVALID_REQUEST",
    "CORRUPT_MESSAGE",
    `${what}: invalid length ${n}${n === -1 ? " (null where the field is not nullable)" : ""}`,
  );
}
