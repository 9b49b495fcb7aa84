/**
 * Figure 8 of the Raft paper (§5.4.2), replayed on the simulated quorum: an entry of an
 * older epoch that a new leader has copied to a majority is NOT committed by counting
 * replicas; if that leader dies before committing an entry of its own epoch, a server
 * with a later last epoch can still win and overwrite it. Only the leader-change entry
 * of the leader's own epoch commits what precedes it.
 */
import { expect, test } from "bun:test";
import type { NodeId } from "../../src/cluster/quorum/types.ts";
import { awaitLeader } from "./harness/scenario-helpers.ts";
import { SimCluster } from "./harness/sim-cluster.ts";

test("Figure 8: an old-epoch entry on a majority is not committed, and may be overwritten, until the leader commits its own epoch", () => {
  const sim = new SimCluster({ seed: 8, voters: 5, timing: { maxFetchEntries: 1 }, network: { minDelayMs: 1, maxDelayMs: 3 } });
  const epochAt = (id: NodeId, offset: number) => sim.node(id).disk.log.epochAt(offset);
  const a = awaitLeader(sim, 3000);
  const [b, c, d, e] = sim.nodes.map((n) => n.id).filter((id) => id !== a) as [NodeId, NodeId, NodeId, NodeId];

  // (a) A appends X in its epoch; it reaches B only.
  for (const other of [c, d, e]) sim.cutBoth(a, other);
  const x = sim.propose(a)!;
  expect(sim.runUntilTrue(() => sim.node(b).disk.log.endOffset() > x.offset, sim.now + 500)).not.toBeNull();
  sim.isolate(a);
  sim.crash(a);

  // (b) C, D, E elect one of themselves; it appends its leader-change entry at X's
  // offset and is cut off (and crashes) before any of it leaves.
  sim.heal();
  sim.isolate(b);
  expect(sim.runUntilTrue(() => sim.leaders().length === 1, sim.now + 3000)).not.toBeNull();
  const e5 = sim.leaders()[0]!;
  expect([c, d, e]).toContain(e5);
  sim.isolate(e5);
  sim.runUntil(sim.now + 10);
  const epochE = sim.node(e5).core!.currentEpoch;
  expect(epochAt(e5, x.offset)).toBe(epochE);
  sim.crash(e5);
  const [c2, d2] = [c, d, e].filter((id) => id !== e5) as [NodeId, NodeId];

  // (c) A restarts; A or B (the two holding X) wins the next epoch and copies X to C or
  // D. Stop when X is on a majority but the new leader's own entry is not beyond it.
  sim.heal();
  sim.isolate(e5);
  sim.restart(a);
  expect(sim.runUntilTrue(() => sim.leaders().length === 1, sim.now + 3000)).not.toBeNull();
  const n2 = sim.leaders()[0]!;
  expect([a, b]).toContain(n2);
  const m = n2 === a ? b : a;
  const holdsX = (id: NodeId) => epochAt(id, x.offset) === x.epoch;
  const pastX = (id: NodeId) => sim.node(id).disk.log.endOffset() > x.offset + 1;
  const window = sim.runUntilTrue(() => (holdsX(c2) || holdsX(d2)) && !pastX(c2) && !pastX(d2), sim.now + 1000);
  expect(window).not.toBeNull();
  expect([a, b, c2, d2].filter(holdsX).length).toBeGreaterThanOrEqual(3);
  // X is on a majority of the five voters, yet nobody counts it committed.
  expect(sim.checker.committed[x.offset]).toBeUndefined();
  sim.isolate(n2);
  sim.crash(n2);

  // (d) E comes back: its last epoch is later than C's and D's, so it wins with them
  // and overwrites X. That is safe only because X was never committed.
  sim.heal();
  sim.isolate(m);
  sim.isolate(n2);
  sim.restart(e5);
  const winner = awaitLeader(sim, 5000);
  expect(winner).toBe(e5);
  expect(sim.checker.committed[x.offset]!.epoch).toBe(epochE);

  // Everyone heals and converges on E's history; X is gone from every log.
  sim.heal();
  sim.restart(n2);
  const converged = sim.runUntilTrue(() => {
    const target = sim.node(e5).core?.committedOffset ?? 0;
    return sim.nodes.every((n) => n.machine.applied === target && n.io === null);
  }, sim.now + 5000);
  expect(converged).not.toBeNull();
  for (const node of sim.nodes) expect(epochAt(node.id, x.offset)).toBe(epochE);
  expect(sim.acked.some((p) => p.offset === x.offset && p.epoch === x.epoch)).toBe(false);
});
