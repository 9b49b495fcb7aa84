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
    expect(s.check(id, 0, "t", 0, 0)).toEqual({ kind: "duplicate", baseOffset: 10, lastOffset: 11 });
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
    expect(s.check(id, 0, "t", 0, 1)).toEqual({ kind: "duplicate", baseOffset: 101, lastOffset: 101 });
  });

  test("sequences wrap from int32's top to 0", () => {
    const s = new ProducerStates(3);
    const id = s.allocate();
    s.written(id, 0, "t", 0, 0x7ffffffe, 2, 0);
    expect(s.check(id, 0, "t", 0, 0)).toEqual({ kind: "write" });
  });

  test("at most maxStates (producer, partition) states are kept: the least recently written goes first", () => {
    const s = new ProducerStates(3, 3);
    const [a, b, c, d] = [s.allocate(), s.allocate(), s.allocate(), s.allocate()];
    s.written(a, 0, "t", 0, 0, 1, 0);
    s.written(b, 0, "t", 0, 0, 1, 1);
    s.written(c, 0, "t", 0, 0, 1, 2);
    // a writes again: b is now the least recently written.
    s.written(a, 0, "t", 0, 1, 1, 3);
    s.written(d, 0, "t", 0, 0, 1, 4);
    expect(s.size).toBe(3);
    expect(s.check(a, 0, "t", 0, 1)).toEqual({ kind: "duplicate", baseOffset: 3, lastOffset: 3 });
    expect(s.check(c, 0, "t", 0, 0)).toEqual({ kind: "duplicate", baseOffset: 2, lastOffset: 2 });
    expect(s.check(d, 0, "t", 0, 0)).toEqual({ kind: "duplicate", baseOffset: 4, lastOffset: 4 });
    // b's state was dropped: its next batch is taken as after a restart, whatever its sequence.
    expect(s.check(b, 0, "t", 0, 7)).toEqual({ kind: "write" });
  });

  test("at the bound, the least recently written goes first however many states came and went (no slower past the bound either)", () => {
    const s = new ProducerStates(6, 100);
    const ids = Array.from({ length: 1000 }, () => s.allocate());
    // Each id writes twice, the second time after the next 50 ids wrote once: the bound
    // then holds the last 100 to write, in that order.
    const lastWrite = new Map<bigint, { offset: number; seq: number }>();
    let offset = 0;
    ids.forEach((id, i) => {
      s.written(id, 0, "t", 0, 0, 1, offset);
      lastWrite.set(id, { offset: offset++, seq: 0 });
      if (i >= 50) {
        s.written(ids[i - 50], 0, "t", 0, 1, 1, offset);
        lastWrite.set(ids[i - 50], { offset: offset++, seq: 1 });
      }
    });
    expect(s.size).toBe(100);
    const kept = new Set([...lastWrite].sort((x, y) => y[1].offset - x[1].offset).slice(0, 100).map(([id]) => id));
    // A kept state knows its last batch (a retry of it is a duplicate); a dropped one
    // knows nothing (any sequence is taken, as after a restart).
    for (const id of ids) {
      const last = lastWrite.get(id)!;
      expect({ id, check: s.check(id, 0, "t", 0, last.seq) }).toEqual({
        id,
        check: kept.has(id) ? { kind: "duplicate", baseOffset: last.offset, lastOffset: last.offset } : { kind: "write" },
      });
    }
  });

  test("a flood of invented producer ids stays within the bound", () => {
    const s = new ProducerStates(4, 1000);
    for (let i = 0; i < 50_000; i++) s.written(BigInt(i), 0, "t", i % 4, 0, 1, i);
    expect(s.size).toBe(1000);
  });

  test("state written in another leader epoch is no guide: the next batch is taken at its sequence, and the state starts over", () => {
    const s = new ProducerStates(5);
    const id = s.allocate();
    s.written(id, 0, "t", 0, 0, 10, 100, 3);
    expect(s.check(id, 0, "t", 0, 10, 3)).toEqual({ kind: "write" });
    expect(s.check(id, 0, "t", 0, 0, 3)).toEqual({ kind: "duplicate", baseOffset: 100, lastOffset: 109 });
    // Leadership moved away and came back (epoch 5): another leader took sequences 10..39.
    expect(s.check(id, 0, "t", 0, 40, 5)).toEqual({ kind: "write" });
    s.written(id, 0, "t", 0, 40, 5, 200, 5);
    expect(s.check(id, 0, "t", 0, 45, 5)).toEqual({ kind: "write" });
    expect(s.check(id, 0, "t", 0, 0, 5)).toEqual({ kind: "out-of-order", expected: 45 });
    expect(s.check(id, 0, "t", 0, 40, 5)).toEqual({ kind: "duplicate", baseOffset: 200, lastOffset: 204 });
  });
});
