import { describe, expect, test } from "bun:test";
import { LeaderState } from "../../../src/cluster/replication/leader-state.ts";
import type { PartitionRegistration } from "../../../src/cluster/replication/types.ts";
import { MemLog } from "../../sim/replication/mem-log.ts";

const registration = (isr: number[] = [1, 2, 3]): PartitionRegistration => ({ replicas: [1, 2, 3], isr, leader: 1, leaderEpoch: 3, partitionEpoch: 5 });

function leaderWith(values: number, isr?: number[]): { log: MemLog; state: LeaderState } {
  const log = new MemLog();
  log.append(Array.from({ length: values }, (_, i) => `v${i}`), 3);
  return { log, state: new LeaderState(1, registration(isr), 0, 0, 1000) };
}

const fetch = (replica: number, fetchOffset: number, lastFetchedEpoch: number | null = 3, leaderEpoch = 3) => ({
  replica,
  fetchOffset,
  lastFetchedEpoch,
  leaderEpoch,
});

describe("LeaderState", () => {
  test("its high watermark is known once every other ISR member has fetched from it (until then it is the checkpoint's)", () => {
    const log = new MemLog();
    log.append(Array.from({ length: 10 }, (_, i) => `v${i}`), 3);
    // Leadership taken up with a checkpointed HW of 2 that lags the 10 its ISR holds.
    const state = new LeaderState(1, registration(), 10, 2, 1000);
    expect(state.established).toBe(false);
    expect(state.recordFetch(fetch(2, 10), log, 1001).highWatermark).toBeNull();
    expect([state.established, state.highWatermark]).toEqual([false, 2]);
    expect(state.recordFetch(fetch(3, 10), log, 1002).highWatermark).toBe(10);
    expect(state.established).toBe(true);
    // An ISR of the leader alone: known at once.
    expect(new LeaderState(1, registration([1]), 10, 2, 1000).established).toBe(true);
    // A member that never fetches stops counting once the ISR drops it.
    const waiting = new LeaderState(1, registration(), 10, 2, 1000);
    waiting.recordFetch(fetch(2, 10), log, 1001);
    expect(waiting.update(registration([1, 2]), 10)).toBe(true);
    expect(waiting.established).toBe(true);
  });

  test("the high watermark is the smallest LEO of the ISR and never moves backward", () => {
    const { log, state } = leaderWith(10);
    expect(state.recordFetch(fetch(2, 7), log, 1001).highWatermark).toBeNull(); // 3 has not fetched yet
    expect(state.recordFetch(fetch(3, 4), log, 1002).highWatermark).toBe(4);
    expect(state.recordFetch(fetch(2, 10), log, 1003).highWatermark).toBeNull();
    expect(state.recordFetch(fetch(3, 9), log, 1004).highWatermark).toBe(9);
    // A follower that reports less (it truncated) cannot take the HW back.
    expect(state.recordFetch(fetch(3, 6), log, 1005).highWatermark).toBeNull();
    expect(state.highWatermark).toBe(9);
  });

  test("stale and future leader epochs are fenced; a diverged follower is told where its epoch ends here", () => {
    const { log, state } = leaderWith(10);
    expect(state.validate(fetch(2, 5, 3, 2), log)).toEqual({ kind: "fenced", leaderEpoch: 3 });
    expect(state.validate(fetch(2, 5, 3, 4), log)).toEqual({ kind: "unknown-epoch", leaderEpoch: 3 });
    expect(state.validate(fetch(9, 5), log)).toEqual({ kind: "not-replica" });
    expect(state.validate(fetch(2, 5), log)).toEqual({ kind: "read" });
    // The follower wrote past offset 10 in epoch 3: the leader's epoch 3 ends at 10.
    expect(state.validate(fetch(2, 12), log)).toEqual({ kind: "diverging", epoch: 3, endOffset: 10 });
    // The follower's last epoch 2 is unknown here: the largest epoch below it ends at 0.
    expect(state.validate(fetch(2, 4, 2), log)).toEqual({ kind: "diverging", epoch: 2, endOffset: 0 });
  });

  test("a follower not caught up for the lag time is proposed out of the ISR, once", () => {
    const { log, state } = leaderWith(10);
    state.recordFetch(fetch(2, 10), log, 2000);
    state.recordFetch(fetch(3, 2), log, 2000);
    // 3 was last caught up when leadership began (1000): out once the lag time has passed.
    expect(state.shrinkFor(1000 + 10_000, 10_000)).toBeNull();
    expect(state.shrinkFor(1000 + 10_001, 10_000)).toEqual({ isr: [1, 2], leaderEpoch: 3, partitionEpoch: 5 });
    expect(state.shrinkFor(1000 + 20_000, 10_000)).toBeNull(); // pending
    state.proposalRefused();
    expect(state.shrinkFor(2000 + 10_001, 10_000)).toEqual({ isr: [1], leaderEpoch: 3, partitionEpoch: 5 });
  });

  test("an out-of-sync follower rejoins once it reached the high watermark, and counts for it meanwhile", () => {
    const { log, state } = leaderWith(10, [1, 2]);
    expect(state.recordFetch(fetch(2, 8), log, 1001).highWatermark).toBe(8);
    expect(state.recordFetch(fetch(3, 5), log, 1002).expand).toBeNull();
    expect(state.recordFetch(fetch(3, 8), log, 1003).expand).toEqual({ isr: [1, 2, 3], leaderEpoch: 3, partitionEpoch: 5 });
    // While the expansion is pending, 3 holds the HW back with the ISR it will be in.
    state.recordFetch(fetch(2, 10), log, 1004);
    expect(state.highWatermark).toBe(8);
    expect(state.update({ ...registration([1, 2, 3]), partitionEpoch: 6 }, 10)).toBe(true);
    expect(state.recordFetch(fetch(3, 10), log, 1005).highWatermark).toBe(10);
    // Another leader epoch: this state is over.
    expect(state.update({ ...registration(), leader: 2, leaderEpoch: 4 }, 10)).toBe(false);
  });

  test("a proposal neither refused nor seen committed is given up after the bound, so a dead follower can still be shrunk out", () => {
    const { log, state } = leaderWith(10);
    state.recordFetch(fetch(2, 10), log, 2000);
    expect(state.shrinkFor(1000 + 10_001, 10_000)).toEqual({ isr: [1, 2], leaderEpoch: 3, partitionEpoch: 5 });
    // Its answer never comes (the quorum leader died with it, say).
    expect(state.expirePending(1000 + 10_001 + 9_999, 10_000)).toBeNull();
    expect(state.pendingProposal).toEqual({ isr: [1, 2], leaderEpoch: 3, partitionEpoch: 5 });
    expect(state.expirePending(1000 + 10_001 + 10_000, 10_000)).toEqual({ isr: [1, 2], leaderEpoch: 3, partitionEpoch: 5 });
    expect(state.pendingProposal).toBeNull();
    state.recordFetch(fetch(2, 10), log, 21_000);
    expect(state.shrinkFor(1000 + 20_002, 10_000)).toEqual({ isr: [1, 2], leaderEpoch: 3, partitionEpoch: 5 });
    expect(state.expirePending(1000 + 20_003, 10_000)).toBeNull();
  });

  test("an expansion given up on still holds the high watermark back until a committed registration says who is in", () => {
    const { log, state } = leaderWith(10, [1, 2]);
    state.recordFetch(fetch(2, 10), log, 1001);
    expect(state.highWatermark).toBe(10);
    log.append(["v10", "v11"], 3);
    expect(state.recordFetch(fetch(3, 10), log, 1002).expand).toEqual({ isr: [1, 2, 3], leaderEpoch: 3, partitionEpoch: 5 });
    expect(state.expirePending(1002 + 10_000, 10_000)).toEqual({ isr: [1, 2, 3], leaderEpoch: 3, partitionEpoch: 5 });
    // It may have been committed: 3 (at 10) still counts, so 2 reaching 12 does not move the HW past 10.
    expect(state.recordFetch(fetch(2, 12), log, 12_003).highWatermark).toBeNull();
    expect(state.highWatermark).toBe(10);
    // The registration says it was not: the HW follows the ISR again.
    expect(state.update({ ...registration([1, 2]), partitionEpoch: 5 }, 12)).toBe(true);
    expect(state.highWatermark).toBe(12);
  });

  test("a leader alone in the ISR commits what it appends", () => {
    const { log, state } = leaderWith(4, [1]);
    expect(state.leaderAppended(log.logEndOffset, 1001)).toBe(4);
  });

  test("a follower whose fetch waits at the log end stays in sync however long the partition is idle, and its lag clock starts at the append it has not fetched", () => {
    // Incident: with --replica-lag-time-ms=200 (below the 500 ms a fetch waits), the ISR of
    // an idle RF=3 partition shrank and grew back 8 times in 4 s, at 1 or 2 members most of
    // that time, and acks=all produces were refused NOT_ENOUGH_REPLICAS meanwhile.
    const { log, state } = leaderWith(10);
    state.recordFetch(fetch(2, 10), log, 2000);
    state.fetchParked(2);
    state.recordFetch(fetch(3, 10), log, 2000);
    state.fetchParked(3);
    expect(state.shrinkFor(2000 + 60_000, 200)).toBeNull();
    expect(state.followerCaughtUpAgo(2, 2000 + 60_000)).toBe(0);
    // 3's wait ends empty (the long poll's timeout): caught up until then; it fetches again.
    state.fetchUnparked(3, 2500);
    expect(state.followerCaughtUpAgo(3, 2600)).toBe(100);
    expect(state.shrinkFor(2600, 200)).toBeNull();
    state.recordFetch(fetch(3, 10), log, 2601);
    state.fetchParked(3);
    // An append at 70,000: both were caught up until then; the clock runs from there.
    log.append(["v10"], 3);
    expect(state.leaderAppended(log.logEndOffset, 70_000)).toBeNull();
    state.fetchUnparked(2, 70_000);
    state.fetchUnparked(3, 70_000);
    expect(state.followerCaughtUpAgo(2, 70_150)).toBe(150);
    expect(state.shrinkFor(70_200, 200)).toBeNull();
    // 2 fetches the record and waits again; 3 never comes back (a cut link): out once 200 ms passed.
    state.recordFetch(fetch(2, 11), log, 70_010);
    state.fetchParked(2);
    expect(state.shrinkFor(70_201, 200)).toEqual({ isr: [1, 2], leaderEpoch: 3, partitionEpoch: 5 });
  });

  test("a follower that stopped fetching is not kept in sync by the fetch it left waiting once that wait ended", () => {
    const { log, state } = leaderWith(10);
    state.recordFetch(fetch(2, 10), log, 1000);
    state.fetchParked(2);
    state.recordFetch(fetch(3, 10), log, 1000);
    state.fetchParked(3);
    state.fetchUnparked(3, 1500);
    // 3 sends nothing more; the partition stays idle: its lag clock runs from the end of its wait.
    expect(state.shrinkFor(1500 + 10_000, 10_000)).toBeNull();
    expect(state.shrinkFor(1500 + 10_001, 10_000)).toEqual({ isr: [1, 2], leaderEpoch: 3, partitionEpoch: 5 });
    // A second end of the same wait changes nothing.
    state.fetchUnparked(3, 20_000);
    expect(state.followerCaughtUpAgo(3, 20_000)).toBe(18_500);
  });
});
