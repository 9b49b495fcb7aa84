import { afterEach, describe, expect, test } from "bun:test";
import { GroupCoordinator, type GroupCoordinatorOptions } from "../../src/groups/group-coordinator.ts";
import { offsetsPartitionFor } from "../../src/groups/offsets-topic.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import type { PartitionLog } from "../../src/storage/partition-log.ts";
import { TempLogs } from "./temp-logs.ts";

const P = 4;
const topics = new Map([["orders", 6], ["audit", 2]]);
let logs: TempLogs;
let clock = 1_000_000;
const coordinators: GroupCoordinator[] = [];

afterEach(async () => {
  for (const c of coordinators.splice(0)) c.close();
  await logs.dispose();
});

function coordinator(extra: Partial<GroupCoordinatorOptions> = {}): { c: GroupCoordinator; open: PartitionLog[] } {
  const c = new GroupCoordinator({
    offsetsPartitions: P,
    partitionsOf: (t) => topics.get(t),
    now: () => clock,
    expiryCheckMs: 0,
    ...extra,
  });
  coordinators.push(c);
  const open: PartitionLog[] = [];
  for (let p = 0; p < P; p++) {
    const log = logs.log(`__consumer_offsets-${p}`);
    open.push(log);
    c.loadPartition(p, log);
  }
  return { c, open };
}

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof StreamNestError) return error.code;
    throw error;
  }
  return "none";
}

describe("GroupCoordinator", () => {
  test("two members share a 6-partition topic: disjoint, complete, three each", async () => {
    logs = new TempLogs();
    const { c } = coordinator();
    const a = await c.join("g", { topics: ["orders"], clientId: "cli" });
    expect(a.memberId).toMatch(/^cli-[0-9a-f-]{36}$/);
    expect(a).toMatchObject({ generation: 1, state: "Stable", assignor: "range", sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 });
    expect(a.assignments.map((x) => x.partition)).toEqual([0, 1, 2, 3, 4, 5]);

    // b's join waits (long-poll) until a, told by its heartbeat, rejoins.
    const bJoin = c.join("g", { topics: ["orders"], waitMs: 5000 });
    expect(await codeOf(() => c.heartbeat("g", a.memberId, 1))).toBe("REBALANCE_IN_PROGRESS");
    const a2 = await c.join("g", { topics: ["orders"], memberId: a.memberId });
    const b = await bJoin;
    expect(a2.generation).toBe(2);
    expect(b.generation).toBe(2);
    const all = [...a2.assignments, ...b.assignments].map((x) => x.partition).sort();
    expect(all).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a2.assignments.length).toBe(3);
    expect(b.assignments.length).toBe(3);
    expect(c.heartbeat("g", b.memberId, 2)).toEqual({ generation: 2, state: "Stable", heartbeatIntervalMs: 1000 });
  });

  test("an empty member id is a first join, as Kafka's is", async () => {
    logs = new TempLogs();
    const { c } = coordinator();
    const a = await c.join("g", { topics: ["orders"], memberId: "" });
    expect(a).toMatchObject({ generation: 1, state: "Stable" });
    expect(a.memberId).toMatch(/^consumer-[0-9a-f-]{36}$/);
  });

  test("a join that is not answered in its wait comes back PreparingRebalance with no partitions", async () => {
    logs = new TempLogs();
    const { c } = coordinator();
    const a = await c.join("g", { topics: ["orders"] });
    const b = await c.join("g", { topics: ["orders"], waitMs: 20 });
    expect(b).toMatchObject({ state: "PreparingRebalance", assignments: [], generation: 1 });
    await c.join("g", { topics: ["orders"], memberId: a.memberId });
    const b2 = await c.join("g", { topics: ["orders"], memberId: b.memberId });
    expect(b2).toMatchObject({ state: "Stable", generation: 2 });
    expect(b2.assignments.length).toBe(3);
  });

  test("commits are checked against member and generation; a stale generation is refused", async () => {
    logs = new TempLogs();
    const { c } = coordinator();
    const a = await c.join("g", { topics: ["orders"] });
    await c.commit("g", { memberId: a.memberId, generation: 1, offsets: [{ topic: "orders", partition: 4, offset: 10 }] });
    const b = await c.join("g", { topics: ["orders"] });
    // still generation 1 while preparing: a may commit what it processed before letting go
    await c.commit("g", { memberId: a.memberId, generation: 1, offsets: [{ topic: "orders", partition: 4, offset: 12 }] });
    await c.join("g", { topics: ["orders"], memberId: a.memberId });
    const stale = { memberId: a.memberId, generation: 1, offsets: [{ topic: "orders", partition: 4, offset: 11 }] };
    expect(await codeOf(() => c.commit("g", stale))).toBe("ILLEGAL_GENERATION");
    expect(await codeOf(() => c.commit("g", { ...stale, memberId: "ghost", generation: 2 }))).toBe("UNKNOWN_MEMBER_ID");
    expect(await codeOf(() => c.commit("nope", { memberId: "ghost", generation: 1, offsets: stale.offsets }))).toBe("GROUP_NOT_FOUND");
    expect(c.offsets("g")).toEqual([{ topic: "orders", partition: 4, offset: 12, metadata: "", commitTimestamp: clock }]);
    const b2 = await c.join("g", { topics: ["orders"], memberId: b.memberId });
    expect(b2.generation).toBe(2);
    // Range deals by sorted member id (random here): whoever owns partition 4 now may commit it.
    const owner = c.describe("g").members.find((m) => m.assignments.some((x) => x.partition === 4))!;
    const other = owner.memberId === a.memberId ? b.memberId : a.memberId;
    expect(await codeOf(() => c.commit("g", { memberId: other, generation: 2, offsets: [{ topic: "orders", partition: 4, offset: 1 }] }))).toBe(
      "ILLEGAL_GENERATION",
    );
    await c.commit("g", { memberId: owner.memberId, generation: 2, offsets: [{ topic: "orders", partition: 4, offset: 20, metadata: "b" }] });
    expect(c.offsets("g", "orders")[0]).toMatchObject({ partition: 4, offset: 20, metadata: "b" });
  });

  test("bad commits are clear 4xx errors and write nothing", async () => {
    logs = new TempLogs();
    const { c, open } = coordinator();
    const a = await c.join("g", { topics: ["orders"] });
    const base = { memberId: a.memberId, generation: 1 };
    const cases: Array<[string, Parameters<GroupCoordinator["commit"]>[1]]> = [
      ["INVALID_REQUEST", { ...base, offsets: [] }],
      ["TOPIC_NOT_FOUND", { ...base, offsets: [{ topic: "nope", partition: 0, offset: 1 }] }],
      ["PARTITION_OUT_OF_RANGE", { ...base, offsets: [{ topic: "orders", partition: 6, offset: 1 }] }],
      ["PARTITION_OUT_OF_RANGE", { ...base, offsets: [{ topic: "orders", partition: -1, offset: 1 }] }],
      ["INVALID_OFFSET", { ...base, offsets: [{ topic: "orders", partition: 0, offset: -1 }] }],
      ["INVALID_OFFSET", { ...base, offsets: [{ topic: "orders", partition: 0, offset: 1.5 }] }],
      ["INVALID_REQUEST", { ...base, offsets: [{ topic: "orders", partition: 0, offset: 1, metadata: "x".repeat(4097) }] }],
      ["INVALID_REQUEST", { ...base, offsets: [{ topic: "orders", partition: 0, offset: 1 }, { topic: "orders", partition: 0, offset: 2 }] }],
      ["ILLEGAL_GENERATION", { ...base, offsets: [{ topic: "audit", partition: 0, offset: 1 }] }],
      ["NON_EMPTY_GROUP", { offsets: [{ topic: "orders", partition: 0, offset: 1 }] }],
    ];
    const ends = open.map((l) => l.endOffset);
    for (const [code, req] of cases) {
      let caught: unknown;
      try {
        await c.commit("g", req);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(StreamNestError);
      expect((caught as StreamNestError).code).toBe(code as StreamNestError["code"]);
      expect((caught as StreamNestError).status).toBeLessThan(500);
    }
    expect(open.map((l) => l.endOffset)).toEqual(ends);
    expect(c.offsets("g")).toEqual([]);
  });

  test("bad joins are refused with clear errors", async () => {
    logs = new TempLogs();
    const { c } = coordinator();
    expect(await codeOf(() => c.join("", { topics: ["orders"] }))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => c.join("g", { topics: [] }))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => c.join("g", { topics: ["missing"] }))).toBe("TOPIC_NOT_FOUND");
    expect(await codeOf(() => c.join("g", { topics: ["__consumer_offsets"] }))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => c.join("g", { topics: ["orders"], assignor: "sticky" }))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => c.join("g", { topics: ["orders"], sessionTimeoutMs: 10 }))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => c.join("g", { topics: ["orders"], sessionTimeoutMs: 1e9 }))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => c.join("g", { topics: ["orders"], waitMs: -1 }))).toBe("INVALID_REQUEST");
    expect(await codeOf(() => c.join("g", { topics: ["orders"], memberId: "ghost" }))).toBe("UNKNOWN_MEMBER_ID");
    expect(await codeOf(() => c.heartbeat("g", "ghost", 1))).toBe("GROUP_NOT_FOUND");
    expect(await codeOf(() => c.describe("g"))).toBe("GROUP_NOT_FOUND");
    expect(c.listGroups()).toEqual([]);
    await c.join("g", { topics: ["orders"] });
    expect(await codeOf(() => c.heartbeat("g", "ghost", 1))).toBe("UNKNOWN_MEMBER_ID");
    expect(await codeOf(() => c.leave("g", "ghost"))).toBe("UNKNOWN_MEMBER_ID");
  });

  test("a session that times out is removed; the other member takes every partition", async () => {
    logs = new TempLogs();
    const removed: string[] = [];
    const { c } = coordinator({ onMemberRemoved: (g, m, reason) => removed.push(`${g} ${m} ${reason}`) });
    const a = await c.join("g", { topics: ["orders"], sessionTimeoutMs: 5000 });
    const b = await c.join("g", { topics: ["orders"], sessionTimeoutMs: 5000 });
    await c.join("g", { topics: ["orders"], memberId: a.memberId, sessionTimeoutMs: 5000 });
    clock += 4000;
    c.heartbeat("g", a.memberId, 2);
    clock += 1001;
    c.expireMembers();
    expect(removed).toEqual([`g ${b.memberId} session timeout`]);
    expect(await codeOf(() => c.heartbeat("g", a.memberId, 2))).toBe("REBALANCE_IN_PROGRESS");
    const a3 = await c.join("g", { topics: ["orders"], memberId: a.memberId, sessionTimeoutMs: 5000 });
    expect(a3.generation).toBe(3);
    expect(a3.assignments.map((x) => x.partition)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await codeOf(() => c.commit("g", { memberId: b.memberId, generation: 2, offsets: [{ topic: "orders", partition: 3, offset: 1 }] }))).toBe(
      "UNKNOWN_MEMBER_ID",
    );
  });

  test("describe and list show state, members, assignment and offsets", async () => {
    logs = new TempLogs();
    const { c } = coordinator();
    const a = await c.join("g", { topics: ["orders", "audit"], clientId: "x", assignor: "roundrobin", autoOffsetReset: "latest" });
    await c.commit("g", { memberId: a.memberId, generation: 1, offsets: [{ topic: "audit", partition: 1, offset: 3 }] });
    await c.commit("h", { offsets: [{ topic: "orders", partition: 0, offset: 2 }] });
    const d = c.describe("g");
    expect(d).toEqual({
      group: "g",
      state: "Stable",
      generation: 1,
      assignor: "roundrobin",
      members: [
        {
          memberId: a.memberId,
          clientId: "x",
          topics: ["audit", "orders"],
          sessionTimeoutMs: 10_000,
          autoOffsetReset: "latest",
          assignments: [0, 1].map((p) => ({ topic: "audit", partition: p })).concat([0, 1, 2, 3, 4, 5].map((p) => ({ topic: "orders", partition: p }))),
          lastSeen: clock,
        },
      ],
      offsets: [{ topic: "audit", partition: 1, offset: 3, metadata: "", commitTimestamp: clock }],
    });
    expect(c.listGroups()).toEqual([
      { group: "g", state: "Stable", generation: 1, members: 1 },
      { group: "h", state: "Empty", generation: 0, members: 0 },
    ]);
  });

  test("deleting offsets: refused while members consume them, allowed once they left", async () => {
    logs = new TempLogs();
    const { c } = coordinator();
    const a = await c.join("g", { topics: ["orders"] });
    await c.commit("g", { memberId: a.memberId, generation: 1, offsets: [{ topic: "orders", partition: 0, offset: 5 }] });
    expect(await codeOf(() => c.deleteOffsets("g"))).toBe("NON_EMPTY_GROUP");
    expect(await codeOf(() => c.deleteOffsets("g", ["orders"]))).toBe("NON_EMPTY_GROUP");
    expect(await c.deleteOffsets("g", ["audit"])).toEqual([]);
    c.leave("g", a.memberId);
    expect(c.describe("g").state).toBe("Empty");
    expect(await c.deleteOffsets("g")).toEqual([{ topic: "orders", partition: 0 }]);
    expect(await codeOf(() => c.describe("g"))).toBe("GROUP_NOT_FOUND");
    expect(await codeOf(() => c.deleteOffsets("g"))).toBe("GROUP_NOT_FOUND");
    expect(c.listGroups()).toEqual([]);
  });

  test("only the groups of loaded partitions are served; others get NOT_COORDINATOR", async () => {
    logs = new TempLogs();
    const c = new GroupCoordinator({ offsetsPartitions: P, partitionsOf: (t) => topics.get(t), expiryCheckMs: 0 });
    coordinators.push(c);
    c.loadPartition(1, logs.log("__consumer_offsets-1"));
    const mine = ["g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7"].find((g) => offsetsPartitionFor(g, P) === 1)!;
    const other = ["g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7"].find((g) => offsetsPartitionFor(g, P) !== 1)!;
    expect(c.isCoordinatorFor(mine)).toBe(true);
    expect(c.isCoordinatorFor(other)).toBe(false);
    expect((await c.join(mine, { topics: ["orders"] })).state).toBe("Stable");
    let caught: unknown;
    try {
      await c.join(other, { topics: ["orders"] });
    } catch (error) {
      caught = error;
    }
    expect((caught as StreamNestError).code).toBe("NOT_COORDINATOR");
    expect((caught as StreamNestError).details).toEqual({ partition: offsetsPartitionFor(other, P) });
    c.unloadPartition(1);
    expect(await codeOf(() => c.describe(mine))).toBe("NOT_COORDINATOR");
  });

  test("a restarted coordinator rebuilds offsets and generations from the log", async () => {
    logs = new TempLogs();
    const first = coordinator();
    const a = await first.c.join("g", { topics: ["orders"] });
    const b = await first.c.join("g", { topics: ["orders"] });
    await first.c.join("g", { topics: ["orders"], memberId: a.memberId });
    await first.c.join("g", { topics: ["orders"], memberId: b.memberId });
    const bParts = first.c.describe("g").members.find((m) => m.memberId === b.memberId)!.assignments;
    await first.c.commit("g", { memberId: b.memberId, generation: 2, offsets: bParts.map((tp, i) => ({ ...tp, offset: 100 + i })) });
    await first.c.commit("other", { offsets: [{ topic: "audit", partition: 1, offset: 9, metadata: "manual" }] });
    await first.c.flush();
    const before = [first.c.offsets("g"), first.c.offsets("other")];
    first.c.close();
    for (const log of first.open) await logs.close(log);

    const second = coordinator();
    expect([second.c.offsets("g"), second.c.offsets("other")]).toEqual(before);
    expect(second.c.describe("g")).toMatchObject({ state: "Empty", generation: 2, assignor: "range", members: [] });
    // old members are unknown to the new incarnation: they must join again
    expect(await codeOf(() => second.c.heartbeat("g", a.memberId, 2))).toBe("UNKNOWN_MEMBER_ID");
    expect(await codeOf(() => second.c.commit("g", { memberId: b.memberId, generation: 2, offsets: [{ topic: "orders", partition: 3, offset: 1 }] }))).toBe(
      "UNKNOWN_MEMBER_ID",
    );
    const again = await second.c.join("g", { topics: ["orders"] });
    expect(again.generation).toBe(3);
  });

  test("a timer expires sessions by itself when asked to", async () => {
    logs = new TempLogs();
    let removed = "";
    const { c } = coordinator({ expiryCheckMs: 5, onMemberRemoved: (_g, m) => (removed = m) });
    const a = await c.join("g", { topics: ["orders"], sessionTimeoutMs: 1000 });
    clock += 1001;
    while (removed === "") await Bun.sleep(5);
    expect(removed).toBe(a.memberId);
    expect(c.describe("g").state).toBe("Empty");
  });

  test("a topic deleted and created again: the group rebalances, old offsets are void and deleted, a late commit is refused", async () => {
    logs = new TempLogs();
    const shapes = new Map([["orders", { id: "orders-1", partitions: 2 }]]);
    const options: Partial<GroupCoordinatorOptions> = {
      partitionsOf: (t) => shapes.get(t)?.partitions,
      topicIdOf: (t) => shapes.get(t)?.id,
    };
    const first = coordinator(options);
    const a = await first.c.join("g", { topics: ["orders"] });
    await first.c.commit("g", { memberId: a.memberId, generation: 1, offsets: [{ topic: "orders", partition: 0, offset: 4 }] });
    first.c.topicsChanged();
    expect(first.c.heartbeat("g", a.memberId, 1).state).toBe("Stable");

    // Deleted, then created again with more partitions (a new incarnation, a new id).
    shapes.set("orders", { id: "orders-2", partitions: 3 });
    first.c.topicsChanged();
    expect(first.c.offsets("g")).toEqual([]);
    expect(first.c.describe("g").offsets).toEqual([]);
    expect(await codeOf(() => first.c.heartbeat("g", a.memberId, 1))).toBe("REBALANCE_IN_PROGRESS");
    // Offset 4 was read from the old log: on the new one it would skip unread records.
    expect(
      await codeOf(() => first.c.commit("g", { memberId: a.memberId, generation: 1, offsets: [{ topic: "orders", partition: 0, offset: 4 }] })),
    ).toBe("REBALANCE_IN_PROGRESS");
    const again = await first.c.join("g", { topics: ["orders"], memberId: a.memberId });
    expect(again).toMatchObject({ generation: 2, state: "Stable" });
    expect(again.assignments.map((x) => x.partition)).toEqual([0, 1, 2]);
    await first.c.commit("g", { memberId: a.memberId, generation: 2, offsets: [{ topic: "orders", partition: 2, offset: 1 }] });
    await first.c.flush();
    first.c.close();
    for (const log of first.open) await logs.close(log);

    // The tombstones are in the log: replayed by a coordinator blind to topic ids, only the new offset is left.
    const blind = coordinator({ partitionsOf: (t) => (t === "orders" ? 3 : undefined) });
    expect(blind.c.offsets("g").map(({ topic, partition, offset, topicId }) => ({ topic, partition, offset, topicId }))).toEqual([
      { topic: "orders", partition: 2, offset: 1, topicId: "orders-2" },
    ]);
    blind.c.close();
    for (const log of blind.open) await logs.close(log);
    const second = coordinator(options);
    expect(second.c.offsets("g").map((o) => [o.partition, o.offset])).toEqual([[2, 1]]);
    // Deleted for good: a group subscribed to it rebalances and its offsets go.
    shapes.delete("orders");
    second.c.topicsChanged();
    expect(second.c.offsets("g")).toEqual([]);
  });

  test("offsets committed for an earlier incarnation are void even before they are cleaned up", async () => {
    logs = new TempLogs();
    const shapes = new Map([["orders", { id: "old", partitions: 2 }]]);
    const options: Partial<GroupCoordinatorOptions> = {
      partitionsOf: (t) => shapes.get(t)?.partitions,
      topicIdOf: (t) => shapes.get(t)?.id,
    };
    const first = coordinator(options);
    await first.c.commit("g", { offsets: [{ topic: "orders", partition: 1, offset: 7 }] });
    await first.c.flush();
    first.c.close();
    for (const log of first.open) await logs.close(log);
    // The topic was deleted and created again while this coordinator was down.
    shapes.set("orders", { id: "new", partitions: 2 });
    const second = coordinator(options);
    expect(second.c.offsets("g")).toEqual([]);
    const joined = await second.c.join("g", { topics: ["orders"] });
    expect(joined.assignments.map((x) => x.partition)).toEqual([0, 1]);
  });
});
