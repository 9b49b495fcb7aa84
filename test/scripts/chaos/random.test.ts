import { describe, expect, test } from "bun:test";
import { SeededRandom } from "../../../scripts/chaos/random.ts";

describe("the chaos run's seeded randomness", () => {
  test("one seed, one sequence; another seed, another", () => {
    const draw = (seed: number) => {
      const r = new SeededRandom(seed);
      return Array.from({ length: 8 }, () => r.int(0, 1000));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  test("int stays within its bounds and reaches both; pick takes every item", () => {
    const r = new SeededRandom(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const n = r.int(2, 5);
      expect(n >= 2 && n <= 5).toBe(true);
      seen.add(n);
    }
    expect([...seen].sort()).toEqual([2, 3, 4, 5]);
    const picked = new Set(Array.from({ length: 200 }, () => r.pick(["a", "b", "c"])));
    expect([...picked].sort()).toEqual(["a", "b", "c"]);
    expect(() => r.pick([])).toThrow(RangeError);
  });

  test("forks are independent of each other and of how much the parent drew", () => {
    const a = new SeededRandom(11);
    const b = new SeededRandom(11);
    b.next();
    expect(a.fork(1).next()).toBe(b.fork(1).next());
    expect(a.fork(1).next()).not.toBe(a.fork(2).next());
  });
});
