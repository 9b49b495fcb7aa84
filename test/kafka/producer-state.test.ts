import { describe, expect, test } from "bun:test";
import { ProducerStates } from "../../src/kafka/producer-state.ts";

describe("ProducerStates (KIP-98 sequences)", () => {
  test("continues, recognises a retry of the last five, refuses gaps, fences older epochs", () => {
    const s = new ProducerStates(1);
    const id = s.allocate();
    expect(s.allocate()).toBe(id + 1n);
    expect(s.check(id, 0, "t", 0, 0)).toEqual({ kind: "write" });
    s.written(id, 0, "t", 0, 0, 2, 10);
    expect(s.check(id, 0, "t", 0, 2)).toEqual({ kind: "write" });
    s.written(id, 0, "t", 0, 2, 1, 12);
    expect(s.check(id, 0, "t", 0, 0)).toEqual({ kind: "duplicate", baseOffset: 10 });
    expect(s.check(id, 0, "t", 0, 5)).toEqual({ kind: "out-of-order", expected: 3 });
    // Another partition has its own sequence.
    expect(s.check(id, 0, "t", 1, 0)).toEqual({ kind: "write" });
    // A new epoch starts at 0; then the old one is fenced.
    expect(s.check(id, 1, "t", 0, 4)).toEqual({ kind: "out-of-order", expected: 0 });
    s.written(id, 1, "t", 0, 0, 1, 13);
    expect(s.check(id, 0, "t", 0, 3)).toEqual({ kind: "fenced", currentEpoch: 1 });
  });

  test("only the last five batches are remembered", () => {
    const s = new ProducerStates(2);
    const id = s.allocate();
    for (let i = 0; i < 6; i++) s.written(id, 0, "t", 0, i, 1, 100 + i);
    expect(s.check(id, 0, "t", 0, 0)).toEqual({ kind: "out-of-order", expected: 6 });
    expect(s.check(id, 0, "t", 0, 1)).toEqual({ kind: "duplicate", baseOffset: 101 });
  });

  test("sequences wrap from int32's top to 0", () => {
    const s = new ProducerStates(3);
    const id = s.allocate();
    s.written(id, 0, "t", 0, 0x7ffffffe, 2, 0);
    expect(s.check(id, 0, "t", 0, 0)).toEqual({ kind: "write" });
  });
});
