/** Small steps shared by the named simulation scenarios. */
import type { Entry, NodeId } from "../../../src/cluster/quorum/types.ts";
import type { SimCluster } from "./sim-cluster.ts";

/** Runs until exactly one node leads and has committed its own epoch's first entry. */
export function awaitLeader(sim: SimCluster, withinMs: number): NodeId {
  const at = sim.runUntilTrue(() => {
    const leaders = sim.leaders();
    if (leaders.length !== 1) return false;
    const core = sim.node(leaders[0]!).core;
    return core !== null && core.committedOffset > 0 && committedInOwnEpoch(sim, leaders[0]!);
  }, sim.now + withinMs);
  if (at === null) throw new Error(`no leader within ${withinMs} ms (seed ${sim.options.seed})`);
  return sim.leaders()[0]!;
}

function committedInOwnEpoch(sim: SimCluster, id: NodeId): boolean {
  const node = sim.node(id);
  const core = node.core;
  if (!core) return false;
  const last = sim.checker.committed[core.committedOffset - 1];
  return last !== undefined && last.epoch === core.currentEpoch;
}

/** Proposes at whichever node leads, every stepMs, until the given time. */
export function proposeEvery(sim: SimCluster, stepMs: number, untilMs: number): void {
  for (let t = sim.now + stepMs; t <= untilMs; t += stepMs) {
    sim.at(t, () => {
      for (const id of sim.leaders()) sim.propose(id);
    });
  }
}

export function logOf(sim: SimCluster, id: NodeId): Entry[] {
  const log = sim.node(id).disk.log;
  return log.read(log.startOffset(), log.endOffset() - log.startOffset());
}

export function text(entry: { readonly payload: Uint8Array } | undefined): string {
  return entry ? new TextDecoder().decode(entry.payload) : "";
}
