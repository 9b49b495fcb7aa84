import { describe, expect, test } from "bun:test";
import type { PartitionAssignment } from "../../src/broker/metadata.ts";
import {
  availabilityOf,
  noLeaderError,
  noPartitionError,
  pickRoundRobin,
  surelyNotWritten,
} from "../../src/broker/partition-availability.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const alive = (...ids: number[]) => (id: number) => ids.includes(id);
const brokerRef = (id: number) => ({ id, address: `b${id}:80` });
const single = (leader: number): PartitionAssignment => ({ partition: 0, replicas: [leader], leader, leaderEpoch: 0 });
const replicated = (leader: number, isr: number[]): PartitionAssignment => ({
  partition: 0,
  replicas: [1, 2, 3],
  leader,
  leaderEpoch: 4,
  isr,
  partitionEpoch: 7,
});

describe("availabilityOf", () => {
  test("a live leader is live, whatever its ISR", () => {
    expect(availabilityOf(replicated(2, [2]), alive(2))).toEqual({ kind: "live", leader: 2 });
    expect(availabilityOf(single(1), alive(1, 2))).toEqual({ kind: "live", leader: 1 });
  });

  test("a dead leader with live ISR members is electing, naming them in ISR order", () => {
    expect(availabilityOf(replicated(1, [1, 3, 2]), alive(2, 3))).toEqual({ kind: "electing", leader: 1, candidates: [3, 2] });
  });

  test("a dead leader with no live ISR member is offline (unclean election is off), even if a replica outside the ISR lives", () => {
    expect(availabilityOf(single(3), alive(1, 2))).toEqual({ kind: "offline", leader: 3, isr: [3] });
    expect(availabilityOf(replicated(1, [1, 2]), alive(3))).toEqual({ kind: "offline", leader: 1, isr: [1, 2] });
  });
});

describe("pickRoundRobin", () => {
  test("takes the start partition when usable and goes on from the next", () => {
    expect(pickRoundRobin(3, 1, () => true)).toEqual({ partition: 1, next: 2 });
    expect(pickRoundRobin(3, 2, () => true)).toEqual({ partition: 2, next: 0 });
  });

  test("skips unusable partitions, wrapping round once", () => {
    expect(pickRoundRobin(4, 2, (p) => p === 0 || p === 1)).toEqual({ partition: 0, next: 1 });
    expect(pickRoundRobin(4, 1, (p) => p !== 1)).toEqual({ partition: 2, next: 3 });
    expect(pickRoundRobin(4, 1, () => false)).toBeUndefined();
  });

  test("a stream of picks with one of three partitions down spreads over the other two, never the dead one", () => {
    let start = 0;
    const picked: number[] = [];
    for (let i = 0; i < 6; i++) {
      const next = pickRoundRobin(3, start, (p) => p !== 1);
      if (!next) throw new Error("expected a partition");
      picked.push(next.partition);
      start = next.next;
    }
    expect(picked).toEqual([0, 2, 0, 2, 0, 2]);
  });
});

describe("surelyNotWritten", () => {
  test("a refused connection, a non-leader and a leader taking up its epoch wrote nothing", () => {
    expect(surelyNotWritten(new StreamNestError("LEADER_UNAVAILABLE", "refused", { leader: 2, broker: "b2:80" }))).toBe(true);
    expect(surelyNotWritten(new StreamNestError("LEADER_UNAVAILABLE", "taking up leadership"))).toBe(true);
    expect(surelyNotWritten(new StreamNestError("NOT_LEADER_OR_FOLLOWER", "led by 3", { leader: 3 }))).toBe(true);
  });

  test("a timeout, a connection broken after sending, an unknown outcome or another error may have written", () => {
    expect(surelyNotWritten(new StreamNestError("LEADER_UNAVAILABLE", "x", { timedOut: true }))).toBe(false);
    expect(surelyNotWritten(new StreamNestError("LEADER_UNAVAILABLE", "x", { interrupted: true }))).toBe(false);
    expect(surelyNotWritten(new StreamNestError("LEADER_UNAVAILABLE", "x", { mayHaveArrived: true }))).toBe(false);
    expect(surelyNotWritten(new StreamNestError("REQUEST_TIMED_OUT", "x", { unknownOutcome: true }))).toBe(false);
    expect(surelyNotWritten(new StreamNestError("NOT_ENOUGH_REPLICAS", "x"))).toBe(false);
    expect(surelyNotWritten(new Error("boom"))).toBe(false);
  });
});

describe("the 503s", () => {
  test("offline names the partition, its dead leader, the ISR and what brings it back", () => {
    const error = noLeaderError("orders", 2, { kind: "offline", leader: 3, isr: [3] }, brokerRef, 0, new Error("b3:80 cannot be reached (ECONNREFUSED)"));
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.status).toBe(503);
    expect(error.message).toBe(
      'partition 2 of topic "orders" is offline: its leader broker 3 (b3:80) is down and no other in-sync replica is alive to take over (in-sync replicas: 3); it is writable again once broker 3 is back: b3:80 cannot be reached (ECONNREFUSED)',
    );
    expect(error.details).toEqual({ partition: 2, state: "offline", leader: 3, broker: "b3:80", isr: [3] });
  });

  test("electing says how long it waited and who may take over", () => {
    const error = noLeaderError("orders", 0, { kind: "electing", leader: 1, candidates: [2, 3] }, brokerRef, 5000);
    expect(error.message).toBe(
      'partition 0 of topic "orders" is electing a new leader: its leader broker 1 (b1:80) is down and no new one from the in-sync replicas 2, 3 took over in time (waited 5000 ms); retry',
    );
    expect(error.details).toEqual({ partition: 0, state: "electing", leader: 1, broker: "b1:80", candidates: [2, 3] });
    expect(error.retriable).toBe(true);
  });

  test("no partition for an unkeyed record lists each partition's state", () => {
    const error = noPartitionError(
      "t",
      [
        { kind: "offline", leader: 3, isr: [3] },
        { kind: "electing", leader: 3, candidates: [1] },
        { kind: "live", leader: 2 },
      ],
      250,
    );
    expect(error.message).toBe(
      'no partition of topic "t" has a live leader to take a message without key or partition (waited 250 ms); partitions 0 offline (leader broker 3 down), 1 electing (leader broker 3 down), 2 taking up leadership on broker 2; retry',
    );
    expect(error.details).toEqual({
      partitions: [
        { partition: 0, state: "offline", leader: 3 },
        { partition: 1, state: "electing", leader: 3 },
        { partition: 2, state: "live", leader: 2 },
      ],
    });
  });
});
