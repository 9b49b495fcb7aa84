import { describe, expect, test } from "bun:test";
import { afterBrokerDown, preferredLeader, withoutLostCopy } from "../../../src/cluster/replication/election.ts";
import type { PartitionRegistration } from "../../../src/cluster/replication/types.ts";

const r = (leader: number, isr: number[]): PartitionRegistration => ({ replicas: [1, 2, 3], isr, leader, leaderEpoch: 4, partitionEpoch: 9 });
const up = (...ids: number[]) => (id: number) => ids.includes(id);

describe("elections", () => {
  test("a copy lost with its disk leaves the ISR; if it led, the first live ISR member in replica order leads in a new epoch", () => {
    expect(withoutLostCopy(1, { registration: r(1, [1, 2, 3]), isAlive: up(1, 3) })).toEqual({
      replicas: [1, 2, 3],
      isr: [2, 3],
      leader: 3,
      leaderEpoch: 5,
      partitionEpoch: 10,
    });
    expect(withoutLostCopy(2, { registration: r(1, [1, 2, 3]), isAlive: up(1, 2, 3) })).toEqual({
      replicas: [1, 2, 3],
      isr: [1, 3],
      leader: 1,
      leaderEpoch: 4,
      partitionEpoch: 10,
    });
    // The last in-sync copy is never dropped (the partition stays offline), nor one not in the ISR.
    expect(withoutLostCopy(1, { registration: r(1, [1]), isAlive: up(1, 2, 3) })).toBeNull();
    expect(withoutLostCopy(3, { registration: r(1, [1, 2]), isAlive: up(1, 2, 3) })).toBeNull();
  });

  test("a dead leader is replaced by the first live ISR member in replica order, epochs bumped", () => {
    expect(afterBrokerDown(1, { registration: r(1, [1, 3, 2]), isAlive: up(2, 3) })).toEqual({
      replicas: [1, 2, 3],
      isr: [3, 2],
      leader: 2,
      leaderEpoch: 5,
      partitionEpoch: 10,
    });
  });

  test("a dead follower leaves the ISR; the leader stays", () => {
    expect(afterBrokerDown(3, { registration: r(1, [1, 2, 3]), isAlive: up(1, 2) })).toEqual({
      replicas: [1, 2, 3],
      isr: [1, 2],
      leader: 1,
      leaderEpoch: 4,
      partitionEpoch: 10,
    });
  });

  test("no live ISR member: offline, unless unclean election is allowed", () => {
    expect(afterBrokerDown(1, { registration: r(1, [1]), isAlive: up(2, 3) })).toBeNull();
    expect(afterBrokerDown(1, { registration: r(1, [1]), isAlive: up(2, 3), unclean: true })).toEqual({
      replicas: [1, 2, 3],
      isr: [2],
      leader: 2,
      leaderEpoch: 5,
      partitionEpoch: 10,
    });
  });

  test("the preferred replica takes leadership back only from within the ISR", () => {
    expect(preferredLeader({ registration: r(2, [2, 3]), isAlive: up(1, 2, 3) })).toBeNull();
    expect(preferredLeader({ registration: r(2, [1, 2, 3]), isAlive: up(1, 2, 3) })?.leader).toBe(1);
    expect(preferredLeader({ registration: r(1, [1, 2, 3]), isAlive: up(1, 2, 3) })).toBeNull();
  });
});
