import { describe, expect, test } from "bun:test";
import { Ring } from "../../src/console/ring.ts";

describe("bounded rows of a live tail", () => {
  test("keeps the newest `capacity` rows, oldest first, and counts the dropped", () => {
    const ring = new Ring<number>(3);
    ring.pushAll([1, 2]);
    expect(ring.rows).toEqual([1, 2]);
    const before = ring.rows;
    ring.pushAll([3, 4, 5]);
    expect(ring.rows).toEqual([3, 4, 5]);
    expect(ring.rows).not.toBe(before);
    expect(ring.dropped).toBe(2);
    ring.pushAll([]);
    expect(ring.size).toBe(3);
    ring.clear();
    expect(ring.rows).toEqual([]);
  });

  test("1,000 messages a second for a minute keep 500 rows", () => {
    const ring = new Ring<number>(500);
    for (let second = 0; second < 60; second++)
      for (let batch = 0; batch < 5; batch++) ring.pushAll(Array.from({ length: 200 }, (_, i) => second * 1000 + batch * 200 + i));
    expect(ring.size).toBe(500);
    expect(ring.rows[0]).toBe(59_500);
    expect(ring.rows[499]).toBe(59_999);
    expect(ring.dropped).toBe(59_500);
  });

  test("a capacity must be a positive integer", () => {
    expect(() => new Ring(0)).toThrow(RangeError);
    expect(() => new Ring(1.5)).toThrow(RangeError);
  });
});
