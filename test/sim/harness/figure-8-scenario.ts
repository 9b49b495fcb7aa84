/**
 * Figure 8 of the Raft paper (§5.4.2) as a script over the simulated quorum, for five
 * voters A..E. It throws InvariantViolation if the checker sees a safety violation
 * (which a core that commits older epochs' entries by counting replicas produces).
 */
import type { NodeId } from "../../../src/cluster/quorum/types.ts";
import { awaitLeader } from "./scenario-helpers.ts";
import { SimCluster, type SimOptions } from "./sim-cluster.ts";

export interface Figure8Outcome {
  sim: SimCluster;
  /** X: A's entry of the first epoch, at this offset and epoch. */
  x: { offset: number; epoch: number };
  /** How many voters held X when the leader that copied it died. */
  holdersOfXAtCrash: number;
  /** Whether X counted as committed at that moment. */
  xCommittedAtCrash: boolean;
  /** The epoch of E's entry at X's offset, and who won the last election. */
  epochOfE: number;
  e: NodeId;
  finalLeader: NodeId;
}

function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`figure 8 scenario: ${what}`);
  return value;
}

export function runFigure8(unsafe?: SimOptions["unsafe"]): Figure8Outcome {
  // One entry per fetch, so that an entry and the leader-change after it travel apart.
  const sim = new SimCluster({ seed: 8, voters: 5, timing: { maxFetchEntries: 1 }, network: { minDelayMs: 1, maxDelayMs: 3 }, unsafe });
  const epochAt = (id: NodeId, offset: number) => sim.node(id).disk.log.epochAt(offset);
  const a = awaitLeader(sim, 3000);
  const [b, c, d, e] = sim.nodes.map((n) => n.id).filter((id) => id !== a) as [NodeId, NodeId, NodeId, NodeId];

  // (a) A appends X in its epoch; it reaches B only; A dies.
  for (const other of [c, d, e]) sim.cutBoth(a, other);
  const x = must(sim.propose(a), "A does not lead");
  must(sim.runUntilTrue(() => sim.node(b).disk.log.endOffset() > x.offset, sim.now + 500), "X never reached B");
  sim.isolate(a);
  sim.crash(a);

  // (b) C, D, E elect one of themselves ("E"); it appends its leader-change entry at X's
  // offset and dies before any of it leaves.
  sim.heal();
  sim.isolate(b);
  must(sim.runUntilTrue(() => sim.leaders().length === 1, sim.now + 3000), "no leader among C, D, E");
  const e5 = sim.leaders()[0]!;
  sim.isolate(e5);
  sim.runUntil(sim.now + 10);
  const epochOfE = sim.node(e5).core!.currentEpoch;
  if (epochAt(e5, x.offset) !== epochOfE) throw new Error("figure 8 scenario: E's entry is not at X's offset");
  sim.crash(e5);
  const [c2, d2] = [c, d, e].filter((id) => id !== e5) as [NodeId, NodeId];

  // (c) A restarts; A or B (the two holding X) wins the next epoch and copies X to C or
  // D. It dies once it knows X is on a majority, before its own leader-change entry is.
  sim.heal();
  sim.isolate(e5);
  sim.restart(a);
  must(sim.runUntilTrue(() => sim.leaders().length === 1, sim.now + 3000), "A or B never won");
  const n2 = sim.leaders()[0]!;
  const m = n2 === a ? b : a;
  const holdsX = (id: NodeId) => epochAt(id, x.offset) === x.epoch;
  const pastX = (id: NodeId) => sim.node(id).disk.log.endOffset() > x.offset + 1;
  const leaderKnows = () => sim.node(n2).core!.status().replicas.some((r) => (r.id === c2 || r.id === d2) && r.endOffset > x.offset);
  must(sim.runUntilTrue(() => leaderKnows() && !pastX(c2) && !pastX(d2), sim.now + 1000), "no window with X on a majority");
  const holdersOfXAtCrash = [a, b, c2, d2].filter(holdsX).length;
  const xCommittedAtCrash = sim.checker.committed[x.offset]?.epoch === x.epoch;
  sim.isolate(n2);
  sim.crash(n2);

  // (d) E comes back; its last epoch is later than C's and D's, so it can win with them.
  sim.heal();
  sim.isolate(m);
  sim.isolate(n2);
  sim.restart(e5);
  const finalLeader = awaitLeader(sim, 5000);
  sim.heal();
  sim.restart(n2);
  must(
    sim.runUntilTrue(() => {
      const target = sim.node(finalLeader).core?.committedOffset ?? 0;
      return sim.nodes.every((n) => n.machine.applied === target && n.io === null);
    }, sim.now + 5000),
    "the five never converged",
  );
  return { sim, x, holdersOfXAtCrash, xCommittedAtCrash, epochOfE, e: e5, finalLeader };
}
