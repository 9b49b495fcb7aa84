import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { Reader } from "../../../src/kafka/protocol/reader.ts";
import { Writer } from "../../../src/kafka/protocol/writer.ts";
import { hex } from "./support/wire.ts";

describe("Writer", () => {
  test("writes big-endian fixed-width values", () => {
    const w = new Writer(1);
    w.int8(-1).int16(-32768).int32(0x01020304).int64(-2n).uint32(0xfffffffe).float64(1.5).bool(true);
    expect(hex(w.finish())).toBe("ff" + "8000" + "01020304" + "fffffffffffffffe" + "fffffffe" + "3ff8000000000000" + "01");
  });

  test("grows past its initial capacity without losing bytes", () => {
    const w = new Writer(2);
    for (let i = 0; i < 1000; i++) w.int32(i);
    const r = new Reader(w.finish());
    for (let i = 0; i < 1000; i++) expect(r.int32()).toBe(i);
  });

  test("unsigned varints match the LEB128 vectors", () => {
    const w = new Writer();
    w.uvarint(0).uvarint(127).uvarint(128).uvarint(300).uvarint(4294967295);
    expect(hex(w.finish())).toBe("00" + "7f" + "8001" + "ac02" + "ffffffff0f");
  });

  test("zigzag varints and varlongs match KIP-98's encoding", () => {
    const w = new Writer();
    w.varint(0).varint(-1).varint(1).varint(-64).varint(64).varint(2147483647).varint(-2147483648);
    expect(hex(w.finish())).toBe("00" + "01" + "02" + "7f" + "8001" + "feffffff0f" + "ffffffff0f");
    const l = new Writer();
    l.varlong(-1n).varlong(9223372036854775807n).varlong(-9223372036854775808n);
    expect(hex(l.finish())).toBe("01" + "feffffffffffffffff01" + "ffffffffffffffffff01");
  });

  test("a UUID is written from its dashed form and a malformed one is refused", () => {
    const w = new Writer();
    w.uuid("01234567-89ab-cdef-0123-456789abcdef");
    expect(hex(w.finish())).toBe("0123456789abcdef0123456789abcdef");
    expect(() => new Writer().uuid("not-a-uuid")).toThrow(StreamNestError);
  });

  test("an unsigned varint out of range is refused", () => {
    expect(() => new Writer().uvarint(-1)).toThrow("unsigned varint out of range: -1");
    expect(() => new Writer().uvarint(2 ** 32)).toThrow("unsigned varint out of range: 4294967296");
  });

  test("reserved bytes are filled in later", () => {
    const w = new Writer();
    const at = w.reserve(4);
    w.int16(7);
    w.setInt32At(at, w.length - 4);
    expect(hex(w.finish())).toBe("000000020007");
  });
});

describe("varlong across the fast-path boundaries", () => {
  test("values around 2^31, 2^48, 2^49 and 2^63 round-trip with the same bytes as the plain zigzag", () => {
    const edges = [0n, 1n, -1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 48n - 1n, 2n ** 48n, -(2n ** 48n), 2n ** 49n, -(2n ** 49n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
    for (const v of edges) {
      const w = new Writer();
      w.varlong(v);
      // Reference: zigzag then LEB128, all in BigInt.
      let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
      const expected: number[] = [];
      do {
        expected.push(Number(u & 0x7fn) | (u >= 0x80n ? 0x80 : 0));
        u >>= 7n;
      } while (u > 0n);
      expect([...w.finish()]).toEqual(expected);
      expect(new Reader(w.finish()).varlong()).toBe(v);
    }
  });
});
