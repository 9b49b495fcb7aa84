import { describe, expect, test } from "bun:test";
import { MemoryQuorumLog } from "../../../src/cluster/quorum/memory-log.ts";
import type { Entry } from "../../../src/cluster/quorum/types.ts";
import { StreamNestError } from "../../../src/lib/errors.ts";

const entry = (offset: number, epoch: number): Entry => ({ offset, epoch, kind: "data", payload: new Uint8Array([offset]) });

/** Offsets 0..6 in epochs 1,1,1,3,3,4,4. */
function sample(): MemoryQuorumLog {
  const log = new MemoryQuorumLog();
  log.append([1, 1, 1, 3, 3, 4, 4].map((epoch, offset) => entry(offset, epoch)));
  return log;
}

describe("MemoryQuorumLog", () => {
  test("an empty log starts at 0 in epoch 0", () => {
    const log = new MemoryQuorumLog();
    expect([log.startOffset(), log.endOffset(), log.lastEpoch()]).toEqual([0, 0, 0]);
    expect(log.epochAt(-1)).toBe(0);
    expect(log.epochAt(-2)).toBeNull();
    expect(log.read(0, 10)).toEqual([]);
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 0 });
  });

  test("appends only at the end and never to an older epoch", () => {
    const log = sample();
    expect(() => log.append([entry(8, 4)])).toThrow(StreamNestError);
    expect(() => log.append([entry(7, 2)])).toThrow(/epoch 2 after epoch 4/);
    expect(log.endOffset()).toBe(7);
  });

  test("answers epochs and reads by offset", () => {
    const log = sample();
    expect([log.epochAt(0), log.epochAt(3), log.epochAt(6), log.epochAt(7)]).toEqual([1, 3, 4, null]);
    expect(log.read(2, 3).map((e) => e.offset)).toEqual([2, 3, 4]);
    expect(() => log.read(8, 1)).toThrow(/outside \[0, 7\]/);
  });

  test("finds where each epoch ends, answering the largest known epoch not above the one asked (KIP-101)", () => {
    const log = sample();
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 3 });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, endOffset: 3 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 5 });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 4, endOffset: 7 });
    expect(log.endOffsetForEpoch(9)).toEqual({ epoch: 4, endOffset: 7 });
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 0 });
  });

  test("truncates a suffix, never below its start", () => {
    const log = sample();
    log.truncateTo(4);
    expect([log.endOffset(), log.lastEpoch()]).toEqual([4, 3]);
    log.truncateTo(10);
    expect(log.endOffset()).toBe(4);
  });

  test("a snapshot trims the prefix and answers for the offset just below the new start", () => {
    const log = sample();
    const id = { endOffset: 4, epoch: 3 };
    expect(() => log.trimPrefix(id)).toThrow(/no snapshot/);
    log.createSnapshot(id, new Uint8Array([9]));
    log.trimPrefix(id);
    expect([log.startOffset(), log.endOffset()]).toEqual([4, 7]);
    expect(log.epochAt(3)).toBe(3);
    expect(log.epochAt(2)).toBeNull();
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 5 });
    // Epoch 1 ended before the start: the log no longer knows it.
    expect(log.endOffsetForEpoch(1)).toBeNull();
    expect(() => log.truncateTo(3)).toThrow(/below its start 4/);
    expect(log.readSnapshot(id)).toEqual(new Uint8Array([9]));
    // An older snapshot never replaces a newer one.
    log.createSnapshot({ endOffset: 2, epoch: 1 }, new Uint8Array([1]));
    expect(log.latestSnapshot()).toEqual(id);
  });

  test("installing a snapshot replaces the whole log", () => {
    const log = sample();
    log.installSnapshot({ endOffset: 20, epoch: 6 }, new Uint8Array([5]));
    expect([log.startOffset(), log.endOffset(), log.lastEpoch(), log.epochAt(19)]).toEqual([20, 20, 6, 6]);
    log.append([entry(20, 7)]);
    expect(log.endOffsetForEpoch(6)).toEqual({ epoch: 6, endOffset: 20 });
  });

  test("a clone shares nothing that later changes", () => {
    const log = sample();
    const copy = log.clone();
    log.truncateTo(2);
    expect(copy.endOffset()).toBe(7);
  });
});
