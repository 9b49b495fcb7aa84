import { afterEach, describe, expect, test } from "bun:test";
import { ClassicGroup, type JoinRequest } from "../../../src/kafka/groups/classic-group.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

const groups: ClassicGroup[] = [];
afterEach(() => {
  for (const g of groups.splice(0)) g.close();
});

function group(initialRebalanceDelayMs?: number): ClassicGroup {
  const g = new ClassicGroup("g", initialRebalanceDelayMs);
  groups.push(g);
  return g;
}

function join(memberId: string, clientId: string, meta = clientId): JoinRequest {
  return {
    memberId,
    groupInstanceId: null,
    clientId,
    clientHost: "127.0.0.1",
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 1_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: bytes(meta) }],
  };
}

describe("ClassicGroup", () => {
  test("the leader gets every member's metadata and hands out assignments byte for byte", async () => {
    const g = group();
    const [a, b] = await Promise.all([g.join(join("", "a"), Date.now()), g.join(join("", "b"), Date.now())]);
    expect(a.generationId).toBe(1);
    expect(b.generationId).toBe(1);
    expect(a.leader).toBe(a.memberId);
    expect(a.members.map((m) => text(m.metadata)).sort()).toEqual(["a", "b"]);
    expect(b.members).toEqual([]);
    expect(g.state).toBe("CompletingRebalance");
    const follower = g.sync(b.memberId, 1, [], Date.now());
    const leader = await g.sync(a.memberId, 1, [
      { memberId: a.memberId, assignment: bytes("to-a") },
      { memberId: b.memberId, assignment: bytes("to-b") },
    ], Date.now());
    expect(text(leader.assignment)).toBe("to-a");
    expect(text((await follower).assignment)).toBe("to-b");
    expect(g.state).toBe("Stable");
  });

  test("a new member makes the others rejoin (heartbeat says REBALANCE_IN_PROGRESS); a leave rebalances the rest", async () => {
    const g = group();
    const a = await g.join(join("", "a"), Date.now());
    await g.sync(a.memberId, 1, [{ memberId: a.memberId, assignment: bytes("all") }], Date.now());
    const bJoin = g.join(join("", "b"), Date.now());
    expect(() => g.heartbeat(a.memberId, 1, Date.now())).toThrow(expect.objectContaining({ code: "REBALANCE_IN_PROGRESS" }));
    const aAgain = await g.join(join(a.memberId, "a"), Date.now());
    const b = await bJoin;
    expect([aAgain.generationId, b.generationId]).toEqual([2, 2]);
    expect(aAgain.leader).toBe(a.memberId);
    g.leave(b.memberId);
    expect(g.state).toBe("PreparingRebalance");
    const alone = await g.join(join(a.memberId, "a"), Date.now());
    expect([alone.generationId, alone.members.length]).toEqual([3, 1]);
  });

  test("stale generations and unknown members are refused; a member silent past its session is dropped", async () => {
    const g = group();
    const a = await g.join(join("", "a"), Date.now());
    expect(() => g.heartbeat(a.memberId, 0, Date.now())).toThrow(expect.objectContaining({ code: "ILLEGAL_GENERATION" }));
    expect(() => g.heartbeat("nobody", 1, Date.now())).toThrow(expect.objectContaining({ code: "UNKNOWN_MEMBER_ID" }));
    expect(() => g.checkCommit("", -1, Date.now())).toThrow(expect.objectContaining({ code: "UNKNOWN_MEMBER_ID" }));
    g.expire(Date.now() + 60_000);
    expect([g.state, g.size]).toEqual(["Empty", 0]);
    expect(() => g.checkCommit("", -1, Date.now())).not.toThrow();
  });
});

describe("ClassicGroup commits during a rebalance", () => {
  test("a current-generation member commits while the group prepares a rebalance; between join and sync it is REBALANCE_IN_PROGRESS", async () => {
    const g = group();
    const a = await g.join(join("", "a"), Date.now());
    // Joined, not synced: CompletingRebalance.
    expect(g.state).toBe("CompletingRebalance");
    expect(() => g.checkCommit(a.memberId, a.generationId, Date.now())).toThrow(expect.objectContaining({ code: "REBALANCE_IN_PROGRESS" }));
    await g.sync(a.memberId, a.generationId, [{ memberId: a.memberId, assignment: bytes("p0") }], Date.now());
    expect(g.state).toBe("Stable");
    expect(() => g.checkCommit(a.memberId, a.generationId, Date.now())).not.toThrow();
    // A second member joins: the group prepares a rebalance, a's generation is still current.
    const pending = g.join(join("", "b"), Date.now());
    expect(g.state).toBe("PreparingRebalance");
    expect(() => g.checkCommit(a.memberId, a.generationId, Date.now())).not.toThrow();
    expect(() => g.checkCommit(a.memberId, a.generationId + 1, Date.now())).toThrow(expect.objectContaining({ code: "ILLEGAL_GENERATION" }));
    // a rejoins so the generation can form; the commit of the old generation is then refused.
    const [again] = await Promise.all([g.join(join(a.memberId, "a"), Date.now()), pending]);
    expect(again.generationId).toBe(a.generationId + 1);
    expect(() => g.checkCommit(a.memberId, a.generationId, Date.now())).toThrow(expect.objectContaining({ code: "ILLEGAL_GENERATION" }));
  });
});

describe("ClassicGroup's protocol choice", () => {
  test("the first of the leader's protocols every member offers, among long lists; none in common is INCONSISTENT_GROUP_PROTOCOL", async () => {
    const g = group(2_000);
    const names = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ name: `${tag}${i}`, metadata: bytes(tag) }));
    const a = { ...join("", "a"), protocols: [...names("a", 20_000), { name: "shared-2", metadata: bytes("a") }, { name: "shared-1", metadata: bytes("a") }] };
    const b = { ...join("", "b"), protocols: [{ name: "shared-1", metadata: bytes("b") }, ...names("b", 20_000), { name: "shared-2", metadata: bytes("b") }] };
    const [ja, jb] = await Promise.all([g.join(a, Date.now()), g.join(b, Date.now())]);
    expect([ja.protocolName, jb.protocolName]).toEqual(["shared-2", "shared-2"]);
    expect(() => g.join({ ...join("", "c"), protocols: names("c", 20_000) }, Date.now())).toThrow(expect.objectContaining({ details: expect.objectContaining({ kafkaError: "INCONSISTENT_GROUP_PROTOCOL" }) }));
  });
});

describe("ClassicGroup's initial rebalance delay", () => {
  test("a new group waits its initial rebalance delay for more members (Kafka's group.initial.rebalance.delay.ms)", async () => {
    const g = group(2_000);
    let aAnswered = false;
    const aJoin = g.join(join("", "a"), Date.now()).then((r) => {
      aAnswered = true;
      return r;
    });
    await Bun.sleep(50);
    // Joined while the first member still waits: both are in the first generation.
    expect(aAnswered).toBe(false);
    const [a, b] = await Promise.all([aJoin, g.join(join("", "b"), Date.now())]);
    expect([a.generationId, b.generationId]).toEqual([1, 1]);
    expect(a.members.map((m) => text(m.metadata)).sort()).toEqual(["a", "b"]);
  });

  test("with no initial delay a lone first member forms the first generation at once", async () => {
    const g = group(0);
    const a = await g.join(join("", "a"), Date.now());
    expect(a.generationId).toBe(1);
    expect(a.members.map((m) => text(m.metadata))).toEqual(["a"]);
  });

  test("a static member back under its group.instance.id replaces its old self at once (KIP-345): one member, the old id fenced", async () => {
    const g = group(100);
    const staticJoin = (memberId: string, clientId: string, instance: string): JoinRequest => ({ ...join(memberId, clientId), groupInstanceId: instance });
    const [a, b] = await Promise.all([g.join(staticJoin("", "a", "inst-a"), Date.now()), g.join(staticJoin("", "b", "inst-b"), Date.now())]);
    const leader = a.leader === a.memberId ? a : b;
    const assignments = [a, b].map((m) => ({ memberId: m.memberId, assignment: bytes(m.memberId) }));
    await Promise.all([g.sync(leader.memberId, 1, assignments, Date.now()), g.sync((leader === a ? b : a).memberId, 1, [], Date.now())]);
    expect([g.state, g.size]).toEqual(["Stable", 2]);
    // Process a dies (kill -9) and comes back with the same instance id and no member id.
    const again = g.join(staticJoin("", "a", "inst-a"), Date.now());
    expect(g.size).toBe(2);
    expect(() => g.heartbeat(a.memberId, 1, Date.now())).toThrow(`member "${a.memberId}" is not in group "g"`);
    // b rejoins on the rebalance; the generation forms with the two live processes.
    const bAgain = await g.join(staticJoin(b.memberId, "b", "inst-b"), Date.now());
    const aNew = await again;
    expect([aNew.generationId, bAgain.generationId, g.size]).toEqual([2, 2, 2]);
    expect(aNew.memberId).not.toBe(a.memberId);
    // The old member id under the instance is fenced, with Kafka's FENCED_INSTANCE_ID.
    let code: unknown;
    try {
      await g.join(staticJoin(a.memberId, "a", "inst-a"), Date.now());
    } catch (error) {
      code = (error as { details?: { kafkaErrorCode?: number } }).details?.kafkaErrorCode ?? (error as Error).message;
    }
    expect(code).toBe(`member "${a.memberId}" is not in group "g"`);
    try {
      await g.join(staticJoin(aNew.memberId, "a", "inst-b"), Date.now());
    } catch (error) {
      code = (error as { details?: { kafkaErrorCode?: number } }).details?.kafkaErrorCode;
    }
    expect(code).toBe(82);
  });
});
