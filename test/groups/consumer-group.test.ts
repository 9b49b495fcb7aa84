import { describe, expect, test } from "bun:test";
import type { AssignorName } from "../../src/groups/assignors.ts";
import { ConsumerGroup, type MemberJoin, type RemovalReason } from "../../src/groups/consumer-group.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const topics = new Map([["t", 6], ["u", 2]]);

function setup() {
  const generations: number[] = [];
  const removed: Array<[string, RemovalReason]> = [];
  const group = new ConsumerGroup("g", 0, null, {
    partitionsOf: (topic) => topics.get(topic),
    onGeneration: (g) => generations.push(g.generation),
    onRemoved: (_g, id, reason) => removed.push([id, reason]),
  });
  let n = 0;
  const join = (memberId?: string, extra: Partial<MemberJoin> = {}): MemberJoin => ({
    memberId,
    newMemberId: () => `m${++n}`,
    clientId: "c",
    topics: ["t"],
    assignor: undefined as AssignorName | undefined,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    autoOffsetReset: "earliest",
    ...extra,
  });
  return { group, join, generations, removed };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof StreamNestError) return error.code;
    throw error;
  }
  return "none";
}

const parts = (group: ConsumerGroup, id: string) => group.members.get(id)!.assignments.map((a) => a.partition);

describe("ConsumerGroup state machine", () => {
  test("the first member makes the group Stable at generation 1 with every partition", () => {
    const { group, join, generations } = setup();
    expect(group.state).toBe("Empty");
    const m = group.join(join(), 0);
    expect(m.memberId).toBe("m1");
    expect(group.state).toBe("Stable");
    expect(group.generation).toBe(1);
    expect(group.assignor).toBe("range");
    expect(parts(group, "m1")).toEqual([0, 1, 2, 3, 4, 5]);
    expect(generations).toEqual([1]);
    expect(group.isSettled("m1")).toBe(true);
  });

  test("a second member starts a rebalance that completes when the first rejoins, split evenly", () => {
    const { group, join, generations } = setup();
    group.join(join(), 0);
    const m2 = group.join(join(), 10);
    expect(group.state).toBe("PreparingRebalance");
    expect(group.generation).toBe(1);
    expect(group.isSettled(m2.memberId)).toBe(false);
    // The first member still owns (and may commit) its partitions until it rejoins.
    expect(parts(group, "m1")).toEqual([0, 1, 2, 3, 4, 5]);
    group.checkCommit("m1", 1, [{ topic: "t", partition: 5 }], 20);
    expect(codeOf(() => group.heartbeat("m1", 1, 20))).toBe("REBALANCE_IN_PROGRESS");
    group.join(join("m1"), 30);
    expect(group.state).toBe("Stable");
    expect(group.generation).toBe(2);
    expect(parts(group, "m1")).toEqual([0, 1, 2]);
    expect(parts(group, "m2")).toEqual([3, 4, 5]);
    expect(generations).toEqual([1, 2]);
    // The old generation is over: its commits are refused, so partition 5 cannot move back.
    expect(codeOf(() => group.checkCommit("m1", 1, [{ topic: "t", partition: 5 }], 40))).toBe("ILLEGAL_GENERATION");
    expect(codeOf(() => group.checkCommit("m1", 2, [{ topic: "t", partition: 5 }], 40))).toBe("ILLEGAL_GENERATION");
    group.checkCommit("m2", 2, [{ topic: "t", partition: 5 }], 40);
    group.heartbeat("m1", 2, 50);
    expect(codeOf(() => group.heartbeat("m1", 1, 50))).toBe("ILLEGAL_GENERATION");
  });

  test("a leave rebalances the rest; the last leave empties the group", () => {
    const { group, join, removed } = setup();
    group.join(join(), 0);
    group.join(join(), 0);
    group.join(join("m1"), 0);
    expect(group.generation).toBe(2);
    group.leave("m2", 5);
    expect(removed).toEqual([["m2", "left"]]);
    expect(group.state).toBe("PreparingRebalance");
    expect(codeOf(() => group.heartbeat("m1", 2, 6))).toBe("REBALANCE_IN_PROGRESS");
    group.join(join("m1"), 7);
    expect(group.generation).toBe(3);
    expect(parts(group, "m1")).toEqual([0, 1, 2, 3, 4, 5]);
    group.leave("m1", 8);
    expect(group.state).toBe("Empty");
    expect(group.generation).toBe(4);
    expect(codeOf(() => group.leave("m1", 9))).toBe("UNKNOWN_MEMBER_ID");
  });

  test("a member that misses its session timeout is removed and the others rebalance", () => {
    const { group, join, removed } = setup();
    group.join(join(undefined, { sessionTimeoutMs: 3000, rebalanceTimeoutMs: 3000 }), 0);
    group.join(join(undefined, { sessionTimeoutMs: 3000, rebalanceTimeoutMs: 3000 }), 0);
    group.join(join("m1", { sessionTimeoutMs: 3000, rebalanceTimeoutMs: 3000 }), 0);
    group.heartbeat("m1", 2, 2500);
    expect(group.expire(3000)).toBe(0);
    expect(group.expire(3001)).toBe(1);
    expect(removed).toEqual([["m2", "session timeout"]]);
    expect(group.state).toBe("PreparingRebalance");
    group.join(join("m1", { sessionTimeoutMs: 3000, rebalanceTimeoutMs: 3000 }), 3100);
    expect(parts(group, "m1")).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test("members that heartbeat but never rejoin are dropped at the rebalance deadline", () => {
    const { group, join, removed } = setup();
    group.join(join(undefined, { rebalanceTimeoutMs: 2000 }), 0);
    group.join(join(undefined, { rebalanceTimeoutMs: 2000 }), 1000);
    expect(group.rebalanceDeadline).toBe(3000);
    expect(codeOf(() => group.heartbeat("m1", 1, 2900))).toBe("REBALANCE_IN_PROGRESS");
    expect(group.expire(3000)).toBe(0);
    expect(group.expire(3001)).toBe(1);
    expect(removed).toEqual([["m1", "rebalance timeout"]]);
    expect(group.state).toBe("Stable");
    expect(group.generation).toBe(2);
    expect(parts(group, "m2")).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test("a rejoin without changes in a Stable group keeps the generation; a new subscription rebalances", () => {
    const { group, join } = setup();
    group.join(join(), 0);
    group.join(join("m1"), 1);
    expect(group.generation).toBe(1);
    group.join(join("m1", { topics: ["t", "u"] }), 2);
    expect(group.generation).toBe(2);
    expect(group.members.get("m1")!.assignments).toEqual([
      ...[0, 1, 2, 3, 4, 5].map((partition) => ({ topic: "t", partition })),
      { topic: "u", partition: 0 },
      { topic: "u", partition: 1 },
    ]);
  });

  test("the assignor is the group's: a different one is refused while others are members", () => {
    const { group, join } = setup();
    group.join(join(undefined, { assignor: "roundrobin" }), 0);
    expect(group.assignor).toBe("roundrobin");
    expect(codeOf(() => group.join(join(undefined, { assignor: "range" }), 0))).toBe("INVALID_REQUEST");
    const m2 = group.join(join(undefined, {}), 0);
    group.join(join("m1"), 0);
    expect(parts(group, "m1")).toEqual([0, 2, 4]);
    expect(parts(group, m2.memberId)).toEqual([1, 3, 5]);
  });

  test("commits: unknown member, new member without assignment, partition not owned, admin commit", () => {
    const { group, join } = setup();
    group.checkCommit(undefined, undefined, [{ topic: "t", partition: 0 }], 0);
    group.join(join(), 0);
    expect(codeOf(() => group.checkCommit(undefined, undefined, [{ topic: "t", partition: 0 }], 0))).toBe("NON_EMPTY_GROUP");
    expect(codeOf(() => group.checkCommit("nobody", 1, [{ topic: "t", partition: 0 }], 0))).toBe("UNKNOWN_MEMBER_ID");
    group.join(join(), 0);
    expect(codeOf(() => group.checkCommit("m2", 1, [{ topic: "t", partition: 0 }], 0))).toBe("REBALANCE_IN_PROGRESS");
    group.join(join("m1"), 0);
    expect(codeOf(() => group.checkCommit("m2", 2, [{ topic: "t", partition: 0 }], 0))).toBe("ILLEGAL_GENERATION");
    expect(codeOf(() => group.checkCommit("m2", 2, [{ topic: "u", partition: 0 }], 0))).toBe("ILLEGAL_GENERATION");
    group.checkCommit("m2", 2, [{ topic: "t", partition: 3 }, { topic: "t", partition: 4 }], 0);
    // A member that leaves out its generation is told to send it, not "generation undefined".
    let missing: unknown;
    try {
      group.checkCommit("m2", undefined, [{ topic: "t", partition: 3 }], 0);
    } catch (error) {
      missing = error;
    }
    expect(missing).toBeInstanceOf(StreamNestError);
    expect((missing as StreamNestError).code).toBe("INVALID_REQUEST");
    expect((missing as StreamNestError).message).toBe("a commit from member m2 needs the generation its join answered (the group is at generation 2)");
  });

  test("no partition is ever owned twice in one generation, through many joins and leaves", () => {
    const { group, join } = setup();
    const alive: string[] = [];
    let now = 0;
    for (let step = 0; step < 60; step++) {
      now += 10;
      if (alive.length < 2 || (step % 3 !== 0 && alive.length < 8)) alive.push(group.join(join(), now).memberId);
      else group.leave(alive.splice(step % alive.length, 1)[0], now);
      for (const id of alive) if (group.members.has(id)) group.join(join(id), now);
      expect(group.state).toBe("Stable");
      const owned = alive.flatMap((id) => group.members.get(id)!.assignments.map((a) => a.partition));
      expect(owned.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
      const counts = alive.map((id) => group.members.get(id)!.assignments.length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  test("waiters are woken when a generation completes", async () => {
    const { group, join } = setup();
    group.join(join(), 0);
    group.join(join(), 0);
    let woke = false;
    const waiting = group.waitForGeneration(60_000).then(() => (woke = true));
    await Bun.sleep(1);
    expect(woke).toBe(false);
    group.join(join("m1"), 1);
    await waiting;
    expect(woke).toBe(true);
    expect(group.isSettled("m2")).toBe(true);
  });
});
