import { afterEach, describe, expect, test } from "bun:test";
import { kafkaErrorCode } from "../../../src/kafka/error-map.ts";
import { ClassicGroups } from "../../../src/kafka/groups/classic-groups.ts";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";

const opened: ClassicGroups[] = [];
afterEach(() => {
  for (const g of opened.splice(0)) g.close();
});

describe("ClassicGroups session expiry", () => {
  test("a check that comes late (the broker stalled) ends no session; the next one on time does", async () => {
    const groups = new ClassicGroups(1000);
    opened.push(groups);
    const g = groups.open("g");
    const joinedAt = Date.now();
    const a = await g.join(
      {
        memberId: "",
        groupInstanceId: null,
        clientId: "a",
        clientHost: "127.0.0.1",
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 1_000,
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: new Uint8Array([1]) }],
      },
      joinedAt,
    );
    await g.sync(a.memberId, a.generationId, [{ memberId: a.memberId, assignment: new Uint8Array([2]) }], joinedAt);
    const lastSeen = Date.now();
    // 11 s after the member was last seen, but the check itself is 11 s late: the member stays.
    groups.expire(lastSeen + 11_000);
    expect(g.size).toBe(1);
    // Half a second later, on time: its session is over.
    groups.expire(lastSeen + 11_500);
    expect([g.size, g.state]).toEqual([0, "Empty"]);
  });

  test("checks on time end a session once it ran out, not before", async () => {
    const groups = new ClassicGroups(1000);
    opened.push(groups);
    const g = groups.open("h");
    // One clock reading for join, sync and the checks: read again after sync, a millisecond
    // gone by in between made the session run out at "seen + 2000" on a busy machine.
    const seen = Date.now();
    const a = await g.join(
      {
        memberId: "",
        groupInstanceId: null,
        clientId: "a",
        clientHost: "127.0.0.1",
        sessionTimeoutMs: 2_000,
        rebalanceTimeoutMs: 1_000,
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: new Uint8Array([1]) }],
      },
      seen,
    );
    await g.sync(a.memberId, a.generationId, [], seen);
    for (let t = seen + 500; t <= seen + 2_000; t += 500) {
      groups.expire(t);
      expect(g.size).toBe(1);
    }
    groups.expire(seen + 2_500);
    expect(g.size).toBe(0);
  });
});

describe("ClassicGroups forget groups with no members", () => {
  test("a group empty for the retention is dropped (a new join starts it afresh); one with members stays", async () => {
    const groups = new ClassicGroups(1000, 0, 5_000);
    opened.push(groups);
    const join = (clientId: string) => ({
      memberId: "",
      groupInstanceId: null,
      clientId,
      clientHost: "127.0.0.1",
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 1_000,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: new Uint8Array([1]) }],
    });
    const t0 = Date.now();
    const gone = groups.open("gone");
    const a = await gone.join(join("a"), t0);
    gone.leave(a.memberId);
    const kept = groups.open("kept");
    const b = await kept.join(join("b"), t0);
    await kept.sync(b.memberId, b.generationId, [], t0);
    // Checks every second, on time: the member of "kept" heartbeats (is seen) all along.
    for (let t = t0 + 1_000; t <= t0 + 6_000; t += 1_000) {
      kept.heartbeat(b.memberId, b.generationId, t);
      groups.expire(t);
      expect(groups.get("gone")).toBe(t < t0 + 6_000 ? gone : undefined);
    }
    expect(groups.get("kept")).toBe(kept);
    expect(groups.all().map((g) => g.groupId)).toEqual(["kept"]);
    const again = await groups.open("gone").join(join("c"), t0 + 6_000);
    expect(again.generationId).toBe(1);
  });
});

describe("ClassicGroups ids", () => {
  test("any non-empty id opens a group (a comma included); the empty id is INVALID_GROUP_ID", () => {
    const groups = new ClassicGroups();
    opened.push(groups);
    expect(groups.open("roundrobin,range").groupId).toBe("roundrobin,range");
    expect(() => groups.open("")).toThrow("group id must not be empty");
    try {
      groups.open("");
    } catch (error) {
      expect(kafkaErrorCode(error)).toBe(KAFKA_ERROR.INVALID_GROUP_ID);
    }
  });
});
