import { describe, expect, test } from "bun:test";
import { unfilledBytes } from "../../src/lib/unfilled-bytes.ts";

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
