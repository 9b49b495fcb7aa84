import { describe, expect, test } from "bun:test";
import { LeaderState } from "../../../src/cluster/quorum/leader-state.ts";

// Leader 1 of voters 1..5; its epoch starts (leader-change entry) at offset 10.
const make = (unsafe = false) => new LeaderState(1, 7, 10, [1, 2, 3, 4, 5], 1000, 10, unsafe);

describe("LeaderState", () => {
  test("the high watermark is what a majority holds, once that includes the leader's own epoch (Figure 8)", () => {
    const leader = make();
    leader.flushedEndOffset = 12;
    leader.recordFetch(2, 10, 1001);
    leader.recordFetch(3, 10, 1001);
    // Offsets below 10 (older epochs) are on a majority, but nothing of epoch 7 is.
    expect(leader.highWatermark(4)).toBe(4);
    leader.recordFetch(2, 11, 1002);
    expect(leader.highWatermark(4)).toBe(4);
    leader.recordFetch(3, 12, 1003);
    expect(leader.highWatermark(4)).toBe(11);
    // Never backwards, even when a follower reports less after a restart.
    leader.recordFetch(2, 0, 1004);
    expect(leader.highWatermark(11)).toBe(11);
  });

  test("a leader's own unflushed entries do not count", () => {
    const leader = make();
    leader.flushedEndOffset = 10;
    for (const id of [2, 3]) leader.recordFetch(id, 12, 1001);
    expect(leader.highWatermark(0)).toBe(0);
    leader.flushedEndOffset = 12;
    expect(leader.highWatermark(0)).toBe(12);
  });

  test("the test-only broken rule commits older epochs by counting", () => {
    const leader = make(true);
    leader.flushedEndOffset = 10;
    for (const id of [2, 3]) leader.recordFetch(id, 10, 1001);
    expect(leader.highWatermark(0)).toBe(10);
  });

  test("check-quorum: the quorum lapses a fetch timeout after the majority's oldest last fetch", () => {
    const leader = make();
    expect(leader.quorumExpiresAt(500)).toBe(1500);
    leader.recordFetch(2, null, 1200);
    leader.recordFetch(3, null, 1300);
    // Leader itself, 3 (1300) and 2 (1200) make three of five.
    expect(leader.quorumExpiresAt(500)).toBe(1700);
    // Observers do not count.
    leader.recordFetch(9, 0, 5000);
    expect(leader.quorumExpiresAt(500)).toBe(1700);
  });

  test("fetches acknowledge the new epoch; successors are ordered by progress", () => {
    const leader = make();
    expect([...leader.beginEpochPending].sort()).toEqual([2, 3, 4, 5]);
    leader.recordFetch(4, 11, 1001);
    leader.recordFetch(2, 9, 1001);
    expect([...leader.beginEpochPending].sort()).toEqual([3, 5]);
    expect(leader.successors()).toEqual([4, 2, 3, 5]);
    leader.noteSentHighWatermark(4, 8);
    expect(leader.knowsHighWatermark(4, 8)).toBe(true);
    expect(leader.knowsHighWatermark(4, 9)).toBe(false);
  });
});
