import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { kafkaErrorOf } from "../../../src/kafka/protocol/error-codes.ts";
import { elementBudget, Reader } from "../../../src/kafka/protocol/reader.ts";
import { cat, fromHex, i16, i32, i64, text, uv } from "./support/wire.ts";

/** Runs `fn` and returns the StreamNestError it throws (failing if it throws anything else). */
function thrown(fn: () => unknown): StreamNestError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StreamNestError);
    return e as StreamNestError;
  }
  throw new Error("expected a StreamNestError, nothing was thrown");
}

describe("Reader primitives", () => {
  test("reads big-endian fixed-width integers, floats and booleans", () => {
    const r = new Reader(fromHex("ff 8000 80000000 8000000000000000 fffffffe 3ff8000000000000 01 00"));
    expect(r.int8()).toBe(-1);
    expect(r.int16()).toBe(-32768);
    expect(r.int32()).toBe(-2147483648);
    expect(r.int64()).toBe(-9223372036854775808n);
    expect(r.uint32()).toBe(4294967294);
    expect(r.float64()).toBe(1.5);
    expect(r.bool()).toBe(true);
    expect(r.bool()).toBe(false);
    expect(r.remaining).toBe(0);
  });

  test("reads a UUID in its 8-4-4-4-12 form", () => {
    const r = new Reader(fromHex("0123456789abcdef0123456789abcdef"));
    expect(r.uuid()).toBe("01234567-89ab-cdef-0123-456789abcdef");
  });

  test("reads unsigned varints up to 32 bits", () => {
    const r = new Reader(fromHex("00 7f 8001 ac02 ffffffff0f"));
    expect([r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint()]).toEqual([0, 127, 128, 300, 4294967295]);
  });

  test("reads zigzag varints and varlongs (KIP-98 record fields)", () => {
    const r = new Reader(fromHex("00 01 02 7f 8001 feffffff0f ffffffff0f"));
    expect([r.varint(), r.varint(), r.varint(), r.varint(), r.varint(), r.varint(), r.varint()]).toEqual([
      0, -1, 1, -64, 64, 2147483647, -2147483648,
    ]);
    const l = new Reader(fromHex("01 feffffffffffffffff01 ffffffffffffffffff01"));
    expect([l.varlong(), l.varlong(), l.varlong()]).toEqual([-1n, 9223372036854775807n, -9223372036854775808n]);
  });

  test("slices bytes as views into the input", () => {
    const buf = fromHex("0102030405");
    const r = new Reader(buf);
    r.skip(1);
    const b = r.bytes(3);
    expect([...b]).toEqual([2, 3, 4]);
    expect(b.buffer).toBe(buf.buffer);
    expect(r.offset).toBe(4);
  });
});

describe("Reader refuses bad input with a clear error", () => {
  test("an element budget is shared with sub-readers; past it arrayCount refuses, naming the limit", () => {
    const r = new Reader(new Uint8Array(64), 0, 64, elementBudget(10));
    expect(r.arrayCount(4, "outer")).toBe(4);
    const sub = r.subReader(16, "tagged field");
    expect(sub.arrayCount(6, "inner")).toBe(6);
    const e = thrown(() => r.arrayCount(1, "topics"));
    expect(e.message).toBe("topics: the input declares more than 10 array elements in all");
    expect(kafkaErrorOf(e)).toBe("INVALID_REQUEST");
    // Without a budget only the bytes left bound a count.
    expect(new Reader(new Uint8Array(64)).arrayCount(64, "any")).toBe(64);
  });

  test("truncated fixed-width reads name what was read and what was left", () => {
    const e = thrown(() => new Reader(fromHex("0001")).int32());
    expect(e.code).toBe("INVALID_REQUEST");
    expect(e.message).toBe("truncated input: int32 needs 4 bytes at offset 0, 2 left");
    expect(kafkaErrorOf(e)).toBe("CORRUPT_MESSAGE");
  });

  test("a truncated int64, uuid and varint are errors, not RangeErrors", () => {
    expect(thrown(() => new Reader(fromHex("00000000000000")).int64()).message).toContain("int64 needs 8 bytes");
    expect(thrown(() => new Reader(fromHex("0011")).uuid()).message).toContain("uuid needs 16 bytes");
    expect(thrown(() => new Reader(fromHex("8080")).uvarint()).message).toContain("uint8 needs 1 bytes");
  });

  test("a varint longer than 32 bits and a varlong longer than 64 bits are refused", () => {
    expect(thrown(() => new Reader(fromHex("ffffffff1f")).uvarint()).message).toBe("unsigned varint longer than 32 bits");
    expect(thrown(() => new Reader(fromHex("ffffffffff01")).uvarint()).message).toBe("unsigned varint longer than 32 bits");
    expect(thrown(() => new Reader(fromHex("ffffffffffffffffff7f")).varlong()).message).toBe("varlong longer than 64 bits");
  });

  test("a negative string length other than the null marker is refused", () => {
    const e = thrown(() => new Reader(i16(-2)).stringLength(true, "topic name"));
    expect(e.message).toBe("topic name: invalid length -2");
  });

  test("null where the field is not nullable is refused", () => {
    const e = thrown(() => new Reader(i16(-1)).stringLength(false, "topic name"));
    expect(e.message).toBe("topic name: invalid length -1 (null where the field is not nullable)");
  });

  test("a huge declared length is refused before anything is allocated or sliced", () => {
    const r = new Reader(cat(i32(0x7fffffff), text("abc")));
    const n = r.int32Length(false, "bytes");
    expect(thrown(() => r.bytes(n, "record value")).message).toBe(
      "truncated input: record value needs 2147483647 bytes at offset 4, 3 left",
    );
  });

  test("an array count larger than the bytes left is refused before the loop", () => {
    const r = new Reader(cat(i32(1_000_000_000), i32(1)));
    const n = r.int32Length(false, "array");
    expect(thrown(() => r.arrayCount(n, "topics")).message).toBe(
      "topics: array of 1000000000 elements cannot fit in the 4 bytes left",
    );
  });

  test("compact lengths: 0 is null, N+1 is N", () => {
    const r = new Reader(cat(uv(0), uv(4), uv(0)));
    expect(r.compactLength(true, "s")).toBe(-1);
    expect(r.compactLength(false, "s")).toBe(3);
    expect(thrown(() => r.compactLength(false, "name")).message).toBe(
      "name: invalid length -1 (null where the field is not nullable)",
    );
  });

  test("a sub-reader is bounded by its length", () => {
    const r = new Reader(cat(i64(1n), i32(7)));
    const sub = r.subReader(8, "tagged field");
    expect(sub.int64()).toBe(1n);
    expect(thrown(() => sub.int8()).message).toContain("int8 needs 1 bytes at offset 8, 0 left");
    expect(r.int32()).toBe(7);
  });
});
