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

});

describe("ClassicGroup's static members (KIP-345)", () => {
  const staticJoin = (memberId: string, clientId: string, instance: string, protocols = ["range"]): JoinRequest => ({
    ...join(memberId, clientId),
    groupInstanceId: instance,
    protocols: protocols.map((name) => ({ name, metadata: bytes(clientId) })),
  });

  /** Two static members, a and b, in a Stable generation 1 (protocol "range"), each assigned its own member id's bytes. */
  async function stableStaticPair(g: ClassicGroup, protocols = ["range"]) {
    const [a, b] = await Promise.all([g.join(staticJoin("", "a", "inst-a", protocols), Date.now()), g.join(staticJoin("", "b", "inst-b", protocols), Date.now())]);
    const leader = a.leader === a.memberId ? a : b;
    const follower = leader === a ? b : a;
    const assignments = [a, b].map((m) => ({ memberId: m.memberId, assignment: bytes(`for ${m.memberId}`) }));
    await Promise.all([g.sync(leader.memberId, 1, assignments, Date.now()), g.sync(follower.memberId, 1, [], Date.now())]);
    expect([g.state, g.size, g.generationId]).toEqual(["Stable", 2, 1]);
    return { a, b, leader, follower };
  }

  test("a static member back in a Stable group takes its old place with no rebalance (KIP-345): same generation, same assignment", async () => {
    const g = group(100);
    const { follower, leader } = await stableStaticPair(g);
    // Member ids are the client id, a dash and a UUID.
    const clientId = follower.memberId.startsWith("a-") ? "a" : "b";
    // The follower's process dies (kill -9) and comes back with its instance id and no member id.
    const back = await g.join(staticJoin("", clientId, `inst-${clientId}`), Date.now());
    expect(back.memberId).not.toBe(follower.memberId);
    expect({ ...back, memberId: "" }).toEqual({ generationId: 1, protocolType: "consumer", protocolName: "range", leader: leader.memberId, memberId: "", members: [], skipAssignment: false });
    expect([g.state, g.size, g.generationId]).toEqual(["Stable", 2, 1]);
    // The other member goes on undisturbed; the returning one syncs into its old assignment.
    expect(() => g.heartbeat(leader.memberId, 1, Date.now())).not.toThrow();
    expect(text((await g.sync(back.memberId, 1, [], Date.now())).assignment)).toBe(`for ${follower.memberId}`);
    // The dead process's member id is gone.
    expect(() => g.heartbeat(follower.memberId, 1, Date.now())).toThrow(`member "${follower.memberId}" is not in group "g"`);
  });

  test("a static leader back in a Stable group is told to skip the assignment (KIP-814) and gets the members' metadata", async () => {
    const g = group(100);
    const { leader, follower } = await stableStaticPair(g);
    const clientId = leader.memberId.startsWith("a-") ? "a" : "b";
    const back = await g.join(staticJoin("", clientId, `inst-${clientId}`), Date.now());
    expect(back.leader).toBe(back.memberId);
    expect(back.skipAssignment).toBe(true);
    expect(back.generationId).toBe(1);
    expect(back.members.map((m) => [m.memberId, m.groupInstanceId, text(m.metadata)]).sort()).toEqual(
      [
        [back.memberId, `inst-${clientId}`, clientId],
        [follower.memberId, `inst-${clientId === "a" ? "b" : "a"}`, clientId === "a" ? "b" : "a"],
      ].sort(),
    );
    // Whatever a leader still sends, a Stable group keeps the assignment it has.
    const sync = await g.sync(back.memberId, 1, [{ memberId: follower.memberId, assignment: bytes("changed") }], Date.now());
    expect(text(sync.assignment)).toBe(`for ${leader.memberId}`);
    expect(text((await g.sync(follower.memberId, 1, [], Date.now())).assignment)).toBe(`for ${follower.memberId}`);
  });

  test("a static member back with another protocol makes the group rebalance, as any join would", async () => {
    const g = group(100);
    const { a, b } = await stableStaticPair(g, ["range", "roundrobin"]);
    // a comes back offering roundrobin only: the group can no longer use range.
    const again = g.join(staticJoin("", "a", "inst-a", ["roundrobin"]), Date.now());
    expect(g.state).toBe("PreparingRebalance");
    expect(() => g.heartbeat(b.memberId, 1, Date.now())).toThrow("rebalancing");
    // b rejoins; the generation forms with the two live processes.
    const bAgain = g.join(staticJoin(b.memberId, "b", "inst-b", ["range", "roundrobin"]), Date.now());
    const [aNew, bNew] = await Promise.all([again, bAgain]);
    expect([aNew.generationId, bNew.generationId, g.size, aNew.protocolName]).toEqual([2, 2, 2, "roundrobin"]);
    expect(aNew.memberId).not.toBe(a.memberId);
    // The old member id under the instance is gone; a member id joining under another's instance is fenced (FENCED_INSTANCE_ID).
    let code: unknown;
    try {
      await g.join(staticJoin(a.memberId, "a", "inst-a", ["roundrobin"]), Date.now());
    } catch (error) {
      code = (error as Error).message;
    }
    expect(code).toBe(`member "${a.memberId}" is not in group "g"`);
    try {
      await g.join(staticJoin(aNew.memberId, "a", "inst-b", ["roundrobin"]), Date.now());
    } catch (error) {
      code = (error as { details?: { kafkaErrorCode?: number } }).details?.kafkaErrorCode;
    }
    expect(code).toBe(82);
  });

  test("a static member back while the group completes a rebalance makes it rebalance again (its old id may be in the leader's assignment)", async () => {
    const g = group(100);
    const [a, b] = await Promise.all([g.join(staticJoin("", "a", "inst-a"), Date.now()), g.join(staticJoin("", "b", "inst-b"), Date.now())]);
    expect(g.state).toBe("CompletingRebalance");
    const again = g.join(staticJoin("", "a", "inst-a"), Date.now());
    expect(g.state).toBe("PreparingRebalance");
    const bAgain = g.join(staticJoin(b.memberId, "b", "inst-b"), Date.now());
    const [aNew, bNew] = await Promise.all([again, bAgain]);
    expect([aNew.generationId, bNew.generationId, g.size]).toEqual([2, 2, 2]);
    expect(aNew.memberId).not.toBe(a.memberId);
  });
});
