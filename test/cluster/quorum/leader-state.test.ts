import { describe, expect, test } from "bun:test";
import { LeaderState, type ReplicaRef } from "../../../src/cluster/quorum/leader-state.ts";

// Leader 1 of voters 1..5; its epoch starts (leader-change entry) at offset 10.
const make = (unsafe = false) => new LeaderState(1, 7, 10, [1, 2, 3, 4, 5], 1000, 10, unsafe);
const r = (id: number): ReplicaRef => ({ id, directoryId: `d${id}`, sameDisk: true });
/** Voter `id`'s id fetching from another disk (it was wiped): KIP-853. */
const stranger = (id: number): ReplicaRef => ({ id, directoryId: `d${id}-wiped`, sameDisk: false });

describe("LeaderState", () => {
  test("the high watermark is what a majority holds, once that includes the leader's own epoch (Figure 8)", () => {
    const leader = make();
    leader.flushedEndOffset = 12;
    leader.recordFetch(r(2), 10, 1001);
    leader.recordFetch(r(3), 10, 1001);
    // Offsets below 10 (older epochs) are on a majority, but nothing of epoch 7 is.
    expect(leader.highWatermark(4)).toBe(4);
    leader.recordFetch(r(2), 11, 1002);
    expect(leader.highWatermark(4)).toBe(4);
    leader.recordFetch(r(3), 12, 1003);
    expect(leader.highWatermark(4)).toBe(11);
    // Never backwards, even when a follower reports less after a restart.
    leader.recordFetch(r(2), 0, 1004);
    expect(leader.highWatermark(11)).toBe(11);
  });

  test("a leader's own unflushed entries do not count", () => {
    const leader = make();
    leader.flushedEndOffset = 10;
    for (const id of [2, 3]) leader.recordFetch(r(id), 12, 1001);
    expect(leader.highWatermark(0)).toBe(0);
    leader.flushedEndOffset = 12;
    expect(leader.highWatermark(0)).toBe(12);
  });

  test("the test-only broken rule commits older epochs by counting", () => {
    const leader = make(true);
    leader.flushedEndOffset = 10;
    for (const id of [2, 3]) leader.recordFetch(r(id), 10, 1001);
    expect(leader.highWatermark(0)).toBe(10);
  });

  test("check-quorum: the quorum lapses a fetch timeout after the majority's oldest last fetch", () => {
    const leader = make();
    expect(leader.quorumExpiresAt(500)).toBe(1500);
    leader.recordFetch(r(2), null, 1200);
    leader.recordFetch(r(3), null, 1300);
    // Leader itself, 3 (1300) and 2 (1200) make three of five.
    expect(leader.quorumExpiresAt(500)).toBe(1700);
    // Observers do not count.
    leader.recordFetch(r(9), 0, 5000);
    expect(leader.quorumExpiresAt(500)).toBe(1700);
  });

  test("fetches acknowledge the new epoch; successors are ordered by progress", () => {
    const leader = make();
    expect([...leader.beginEpochPending].sort()).toEqual([2, 3, 4, 5]);
    leader.recordFetch(r(4), 11, 1001);
    leader.recordFetch(r(2), 9, 1001);
    expect([...leader.beginEpochPending].sort()).toEqual([3, 5]);
    expect(leader.successors()).toEqual([4, 2, 3, 5]);
    leader.noteSentHighWatermark(r(4), 8);
    expect(leader.knowsHighWatermark(r(4), 8)).toBe(true);
    expect(leader.knowsHighWatermark(r(4), 9)).toBe(false);
  });

  test("a voter's id fetching from another disk counts for nothing and is tracked apart (KIP-853)", () => {
    const leader = make();
    leader.flushedEndOffset = 12;
    leader.recordFetch(r(2), 12, 1001);
    for (const id of [3, 4]) leader.recordFetch(stranger(id), 12, 1400);
    // Leader and 2 are two of five: nothing of epoch 7 commits, and the quorum still lapses
    // from the new leader's start (1000), whatever the strangers fetch.
    expect(leader.highWatermark(0)).toBe(0);
    expect(leader.quorumExpiresAt(500)).toBe(1500);
    expect([...leader.beginEpochPending].sort()).toEqual([3, 4, 5]);
    leader.noteSentHighWatermark(stranger(3), 5);
    expect([leader.knowsHighWatermark(stranger(3), 5), leader.knowsHighWatermark(r(3), 5)]).toEqual([true, false]);
    expect(leader.replicas().filter((p) => p.id === 3)).toEqual([
      { id: 3, endOffset: -1, lastFetchMs: 1000, voter: true, directoryId: null },
      { id: 3, endOffset: 12, lastFetchMs: 1400, voter: false, directoryId: "d3-wiped" },
    ]);
    leader.recordFetch(r(3), 12, 1401);
    expect(leader.highWatermark(0)).toBe(12);
  });
});
