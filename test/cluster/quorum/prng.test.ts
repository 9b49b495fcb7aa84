import { expect, test } from "bun:test";
import { SeededRandom } from "../../../src/cluster/quorum/prng.ts";

test("one seed gives one sequence; another seed another", () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const seqA = Array.from({ length: 8 }, () => a.next());
  expect(Array.from({ length: 8 }, () => b.next())).toEqual(seqA);
  expect(Array.from({ length: 8 }, () => c.next())).not.toEqual(seqA);
});

test("floats stay in [0, 1) and integers in [0, n), covering the range", () => {
  const r = new SeededRandom(7);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const f = r.next();
    expect(f >= 0 && f < 1).toBe(true);
    const n = r.int(10);
    expect(Number.isInteger(n) && n >= 0 && n < 10).toBe(true);
    seen.add(n);
  }
  expect(seen.size).toBe(10);
});
