import { describe, expect, test } from "bun:test";
import { copyBytes, putUint32, unfilledBytes } from "../../src/lib/fast-bytes.ts";

describe("unfilledBytes", () => {
  test("is a plain Uint8Array of the length asked, in memory of its own", () => {
    const a = unfilledBytes(5000);
    const b = unfilledBytes(7);
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    expect(Buffer.isBuffer(a)).toBe(false);
    expect([a.length, b.length]).toEqual([5000, 7]);
    expect(a.buffer).not.toBe(b.buffer);
    // Values cut from it stay Uint8Arrays too (a Buffer compares and serialises differently).
    expect(Object.getPrototypeOf(a.subarray(1, 3))).toBe(Uint8Array.prototype);
    a.fill(1);
    b.fill(2);
    expect(a.every((x) => x === 1)).toBe(true);
    expect([...b]).toEqual([2, 2, 2, 2, 2, 2, 2]);
  });

  test("of no bytes", () => {
    expect(unfilledBytes(0).length).toBe(0);
  });
});

describe("copyBytes", () => {
  test("copies all of a Buffer or a Uint8Array at the position given, nothing else", () => {
    for (const src of [Buffer.from([1, 2, 3]), new Uint8Array([1, 2, 3]), Buffer.from([9, 1, 2, 3, 9]).subarray(1, 4), new Uint8Array([9, 1, 2, 3]).subarray(1)]) {
      const dst = new Uint8Array(6);
      copyBytes(src, dst, 2);
      expect([...dst]).toEqual([0, 0, 1, 2, 3, 0]);
    }
  });

  test("refuses to write past the end of its target, as set does, whatever the source", () => {
    for (const src of [Buffer.alloc(4), new Uint8Array(4)]) {
      const dst = new Uint8Array(5);
      expect(() => copyBytes(src, dst, 2)).toThrow(RangeError);
      expect(() => copyBytes(src, dst, -1)).toThrow(RangeError);
      expect([...dst]).toEqual([0, 0, 0, 0, 0]);
    }
  });
});

describe("putUint32", () => {
  test("writes big-endian exactly as DataView.setUint32 does, at any position, and nothing around it", () => {
    for (const value of [0, 1, 0xff, 0x100, 0x1234_5678, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]) {
      for (const at of [0, 3]) {
        const mine = new Uint8Array(9).fill(0xaa);
        const theirs = new Uint8Array(9).fill(0xaa);
        putUint32(mine, at, value);
        new DataView(theirs.buffer).setUint32(at, value);
        expect([...mine]).toEqual([...theirs]);
      }
    }
  });
});
