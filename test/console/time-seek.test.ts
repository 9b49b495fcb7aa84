import { describe, expect, test } from "bun:test";
import { offsetForTime } from "../../src/console/time-seek.ts";

/** A partition from offset 10 whose record n was written at time 1000 + 10·(n − 10), two per 10 ms tick after 20. */
const times = new Map<number, number>();
for (let o = 10; o < 40; o++) times.set(o, o < 20 ? 1000 + 10 * (o - 10) : 1100 + 10 * Math.floor((o - 20) / 2));

function reader() {
  const asked: number[] = [];
  return {
    asked,
    at: async (offset: number) => {
      asked.push(offset);
      return times.get(offset) ?? null;
    },
  };
}

describe("offset for a time", () => {
  test("the first record at or after the time", async () => {
    expect(await offsetForTime(10, 40, 0, reader().at)).toBe(10);
    expect(await offsetForTime(10, 40, 1000, reader().at)).toBe(10);
    expect(await offsetForTime(10, 40, 1001, reader().at)).toBe(11);
    expect(await offsetForTime(10, 40, 1050, reader().at)).toBe(15);
    // equal timestamps: the first of them
    expect(await offsetForTime(10, 40, 1110, reader().at)).toBe(22);
    expect(await offsetForTime(10, 40, 1145, reader().at)).toBe(30);
  });

  test("after the last record: the end offset", async () => {
    expect(await offsetForTime(10, 40, 99_999, reader().at)).toBe(40);
    expect(await offsetForTime(5, 5, 1, reader().at)).toBe(5);
  });

  test("reads a logarithmic number of records", async () => {
    const r = reader();
    await offsetForTime(10, 40, 1123, r.at);
    expect(r.asked.length).toBeLessThanOrEqual(5);
  });
});
