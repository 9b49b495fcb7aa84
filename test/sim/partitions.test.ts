/**
 * Named partition scenarios on the simulated quorum: a disruptive rejoining server
 * (pre-vote keeps the healthy leader), a leader cut off from the voters but not from its
 * clients (check-quorum: it resigns and nothing it accepted meanwhile commits), the
 * asymmetric partition where only one link of three is cut, and a one-way partition.
 * The invariant checker runs after every event of each.
 */
import { describe, expect, test } from "bun:test";
import type { NodeId } from "../../src/cluster/quorum/types.ts";
import { awaitLeader, logOf, proposeEvery, text } from "./harness/scenario-helpers.ts";
import { type Proposal, SIM_TIMING, SimCluster } from "./harness/sim-cluster.ts";

const quiet = { minDelayMs: 1, maxDelayMs: 5 };

describe("a rejoining isolated voter", () => {
  test("cannot unseat a healthy leader: pre-vote keeps the epoch and the leader unchanged", () => {
    const sim = new SimCluster({ seed: 21, voters: 3, network: quiet });
    const leader = awaitLeader(sim, 3000);
    const epoch = sim.node(leader).core!.currentEpoch;
    const follower = leader === 1 ? 2 : 1;
    const start = sim.now;
    proposeEvery(sim, 20, start + 4000);
    // Cut off for twenty election timeouts: it keeps asking for pre-votes in vain.
    sim.isolate(follower);
    sim.runUntil(start + 20 * SIM_TIMING.electionTimeoutMs);
    expect(sim.node(follower).core!.currentRole).toBe("prospective");
    expect(sim.node(follower).core!.currentEpoch).toBe(epoch);
    sim.heal();
    sim.runUntil(start + 4000);
    expect(sim.leaders()).toEqual([leader]);
    expect(sim.node(leader).core!.currentEpoch).toBe(epoch);
    expect(sim.checker.epochsWithLeader()).toBe(1);
    // It rejoins as a follower and catches up with everything committed meanwhile.
    expect(sim.node(follower).core!.currentRole).toBe("follower");
    expect(sim.acked.length).toBeGreaterThan(100);
    const settled = sim.runUntilTrue(() => sim.node(follower).machine.applied === sim.node(leader).core!.committedOffset, sim.now + 500);
    expect(settled).not.toBeNull();
  });
});

describe("a leader cut off from the voters but not from its clients", () => {
  test("resigns within the fetch timeout, and nothing it accepted after the cut ever commits", () => {
    const sim = new SimCluster({ seed: 5, voters: 3, observers: 1, network: quiet });
    const old = awaitLeader(sim, 3000);
    const cutAt = sim.now;
    sim.isolate(old);
    const accepted: Proposal[] = [];
    // Its clients keep proposing to it directly for as long as it says it leads.
    let lastAt = -Infinity;
    const resignedAt = sim.runUntilTrue(() => {
      if (sim.now - lastAt >= 5) {
        lastAt = sim.now;
        const p = sim.propose(old);
        if (p) accepted.push(p);
      }
      return sim.node(old).core!.currentRole !== "leader";
    }, cutAt + 10 * SIM_TIMING.fetchTimeoutMs);
    expect(resignedAt).not.toBeNull();
    expect(resignedAt! - cutAt).toBeLessThanOrEqual(SIM_TIMING.fetchTimeoutMs + 1);
    expect(accepted.length).toBeGreaterThan(0);
    expect(sim.propose(old)).toBeNull();
    // The majority side elects a leader and commits.
    const next = awaitLeader(sim, 3000);
    expect(next).not.toBe(old);
    const ackedBefore = sim.acked.length;
    proposeEvery(sim, 20, sim.now + 1000);
    sim.runUntil(sim.now + 1000);
    expect(sim.acked.length - ackedBefore).toBeGreaterThan(20);
    // Healed, the old leader follows and its cut-off proposals are truncated, never acked.
    sim.heal();
    sim.runUntil(sim.now + 1000);
    expect(sim.node(old).core!.currentRole).toBe("follower");
    for (const p of accepted) expect(sim.acked).not.toContain(p);
    const payloads = new Set(accepted.map((p) => text(p)));
    for (const node of sim.nodes) expect(logOf(sim, node.id).filter((e) => payloads.has(text(e)))).toEqual([]);
  });
});

describe("the asymmetric partition: only the 1-2 link of three voters is cut", () => {
  for (const first of [1, 2, 3] as NodeId[]) {
    test(`with voter ${first} leading: one leader throughout, and writes keep committing`, () => {
      const sim = new SimCluster({ seed: 100 + first, voters: 3, network: quiet });
      let leader = awaitLeader(sim, 3000);
      // Steer the starting leader: cut the others off until the wanted one leads.
      while (leader !== first) {
        sim.isolate(leader);
        sim.runUntilTrue(() => sim.leaders().includes(first) || (sim.leaders().length === 1 && sim.leaders()[0] !== leader), sim.now + 3000);
        sim.heal();
        leader = awaitLeader(sim, 3000);
      }
      sim.cutBoth(1, 2);
      const start = sim.now;
      proposeEvery(sim, 10, start + 6000);
      sim.runUntil(start + 2000);
      const steady = sim.leaders();
      expect(steady.length).toBe(1);
      const epoch = sim.node(steady[0]!).core!.currentEpoch;
      // From here on: always exactly one leader in one epoch, and progress in every half second.
      for (let t = start + 2500; t <= start + 6000; t += 500) {
        const ackedBefore = sim.acked.length;
        sim.runUntil(t);
        expect(sim.leaders()).toEqual(steady);
        expect(sim.node(steady[0]!).core!.currentEpoch).toBe(epoch);
        expect(sim.acked.length - ackedBefore).toBeGreaterThan(20);
      }
    });
  }
});

describe("one-way partitions", () => {
  test("a leader that can send but not hear resigns; the rest elect a leader and progress", () => {
    const sim = new SimCluster({ seed: 33, voters: 3, network: quiet });
    const old = awaitLeader(sim, 3000);
    for (const n of sim.nodes) if (n.id !== old) sim.cut(n.id, old);
    expect(sim.runUntilTrue(() => sim.leaders().some((id) => id !== old), sim.now + 5000)).not.toBeNull();
    const next = awaitLeader(sim, 5000);
    expect(next).not.toBe(old);
    expect(sim.node(old).core!.currentRole).not.toBe("leader");
    const ackedBefore = sim.acked.length;
    proposeEvery(sim, 20, sim.now + 1000);
    sim.runUntil(sim.now + 1000);
    expect(sim.acked.length - ackedBefore).toBeGreaterThan(20);
  });

  test("a follower that can hear but not send does not disrupt, and catches up once healed", () => {
    const sim = new SimCluster({ seed: 34, voters: 3, network: quiet });
    const leader = awaitLeader(sim, 3000);
    const epoch = sim.node(leader).core!.currentEpoch;
    const mute = leader === 3 ? 2 : 3;
    for (const n of sim.nodes) if (n.id !== mute) sim.cut(mute, n.id);
    proposeEvery(sim, 20, sim.now + 3000);
    sim.runUntil(sim.now + 2000);
    expect(sim.leaders()).toEqual([leader]);
    expect(sim.node(leader).core!.currentEpoch).toBe(epoch);
    sim.heal();
    sim.runUntil(sim.now + 1500);
    expect(sim.node(mute).machine.applied).toBe(sim.node(leader).core!.committedOffset);
  });
});

describe("a voter whose disk was wiped (KIP-853)", () => {
  test("comes back under a new directory id as a non-voter: it replicates but cannot help elect", () => {
    const sim = new SimCluster({ seed: 41, voters: 3, network: quiet });
    const leader = awaitLeader(sim, 3000);
    proposeEvery(sim, 20, sim.now + 400);
    sim.runUntil(sim.now + 400);
    const wiped = leader === 1 ? 2 : 1;
    sim.wipe(wiped);
    sim.restart(wiped);
    sim.runUntil(sim.now + 500);
    expect(sim.node(wiped).core!.status().isVoter).toBe(false);
    expect(sim.node(wiped).machine.applied).toBe(sim.node(leader).core!.committedOffset);
    // With the leader gone, one real voter and the wiped one are not a majority.
    sim.crash(leader);
    sim.runUntil(sim.now + 3000);
    expect(sim.leaders()).toEqual([]);
    sim.restart(leader);
    expect(awaitLeader(sim, 3000)).not.toBe(wiped);
  });
});
