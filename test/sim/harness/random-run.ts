/**
 * One randomised run per seed: a cluster shape, network faults and a schedule of
 * crashes, restarts, partitions (symmetric, asymmetric, one-way) and at most one wiped
 * voter (KIP-853: it comes back under a new directory id, as an observer) under a stream of
 * client proposals; then everything heals and the run must make progress within a
 * bounded simulated time (liveness). Safety is checked after every event throughout.
 */
import { SeededRandom } from "../../../src/cluster/quorum/prng.ts";
import { SimCluster, type SimOptions } from "./sim-cluster.ts";

export interface RandomRunOptions {
  chaosMs: number;
  /** Simulated time allowed, after healing, for a leader and a committed proposal on every node. */
  livenessBoundMs: number;
  unsafe?: SimOptions["unsafe"];
  trace?: boolean;
}

export interface RunResult {
  seed: number;
  ok: boolean;
  error: string | null;
  events: number;
  acked: number;
  failedProposals: number;
  recoveryMs: number | null;
  sim: SimCluster;
}

export function randomRun(seed: number, options: RandomRunOptions): RunResult {
  const plan = new SeededRandom(seed ^ 0x5bd1e995);
  // Drawn apart, so that the rest of each seed's plan stays what it was before these.
  const diskPlan = new SeededRandom(seed ^ 0x2545f491);
  // A voters file from before directory ids (adopted on first contact) in some runs; a
  // voter wiped once in some of the others (never both: see test/sim/wiped-voter.test.ts).
  const legacyVoters = diskPlan.next() < 0.25;
  const wipeAt = !legacyVoters && diskPlan.next() < 0.3 ? 100 + diskPlan.int(Math.max(1, options.chaosMs - 100)) : null;
  const voters = [1, 2, 3, 3, 3, 3, 4, 5, 5, 5][plan.int(10)]!;
  const observers = plan.int(3);
  const maxDelayMs = 2 + plan.int(14);
  const sim = new SimCluster({
    seed,
    voters,
    observers,
    network: {
      minDelayMs: 1,
      maxDelayMs,
      dropRate: plan.next() * 0.1,
      duplicateRate: plan.next() * 0.05,
      longDelayRate: plan.next() < 0.5 ? plan.next() * 0.03 : 0,
      longDelayMs: 300,
    },
    diskLatencyMs: plan.next() < 0.3 ? [0, 20] : [0, 3],
    snapshotEvery: plan.next() < 0.5 ? 5 + plan.int(20) : 0,
    // Timeouts vary too: KRaft's ratios (long polls near the request timeout) or tight.
    timing: [
      {},
      { requestTimeoutMs: 200, fetchMaxWaitMs: 150, retryBackoffMs: 25 },
      { electionTimeoutMs: 60, fetchTimeoutMs: 150, requestTimeoutMs: 40, fetchMaxWaitMs: 25 },
    ].map((t) => ({ ...t, maxFetchEntries: 4 + plan.int(60), snapshotChunkBytes: 4 + plan.int(40) }))[plan.int(3)],
    unsafe: options.unsafe,
    trace: options.trace,
    legacyVoters,
  });
  const ids = sim.nodes.map((n) => n.id);
  const pick = () => ids[plan.int(ids.length)]!;
  let recoveryMs: number | null = null;
  try {
    scheduleChaos(sim, plan, pick, options.chaosMs);
    if (wipeAt !== null && voters >= 3) {
      const victim = 1 + diskPlan.int(voters);
      sim.at(wipeAt, () => {
        sim.wipe(victim);
        sim.at(sim.now + 20 + diskPlan.int(400), () => sim.restart(victim));
      });
    }
    for (let t = plan.int(10); t < options.chaosMs; t += 3 + plan.int(25)) {
      sim.at(t, () => {
        const leaders = sim.leaders();
        if (leaders.length > 0) sim.propose(leaders[plan.int(leaders.length)]!);
      });
    }
    sim.runUntil(options.chaosMs);
    recoveryMs = heal(sim, options.livenessBoundMs);
    return { seed, ok: true, error: null, events: sim.events, acked: sim.acked.length, failedProposals: sim.failedProposals, recoveryMs, sim };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { seed, ok: false, error: message, events: sim.events, acked: sim.acked.length, failedProposals: sim.failedProposals, recoveryMs, sim };
  }
}

function scheduleChaos(sim: SimCluster, plan: SeededRandom, pick: () => number, chaosMs: number): void {
  for (let t = 50 + plan.int(200); t < chaosMs; t += 30 + plan.int(300)) {
    const fault = plan.int(8);
    const a = pick();
    let b = pick();
    if (b === a) b = (a % sim.nodes.length) + 1;
    const downFor = 20 + plan.int(600);
    sim.at(t, () => {
      switch (fault) {
        case 0: // crash a node, restart it later
          sim.crash(a);
          sim.at(sim.now + downFor, () => sim.restart(a));
          return;
        case 1: {
          // crash whoever leads now
          const leader = sim.leaders()[0];
          if (leader === undefined) return;
          sim.crash(leader);
          sim.at(sim.now + downFor, () => sim.restart(leader));
          return;
        }
        case 2:
          return sim.isolate(a);
        case 3:
          return sim.cut(a, b);
        case 4:
          return sim.cutBoth(a, b);
        case 5: {
          const leader = sim.leaders()[0];
          if (leader !== undefined) sim.isolate(leader);
          return;
        }
        default:
          return sim.heal();
      }
    });
  }
}

/** Heals every fault and waits for a leader and a proposal applied on every node. */
function heal(sim: SimCluster, boundMs: number): number {
  sim.heal();
  sim.network.dropRate = 0;
  sim.network.duplicateRate = 0;
  sim.network.longDelayRate = 0;
  for (const node of sim.nodes) sim.restart(node.id);
  const healedAt = sim.now;
  const ackedBefore = sim.acked.length;
  let target: number | null = null;
  let proposedAt = -Infinity;
  const done = sim.runUntilTrue(() => {
    if (target === null) {
      const leader = sim.leaders()[0];
      const fresh = sim.acked.slice(ackedBefore).find((p) => p.at >= healedAt);
      if (fresh) target = fresh.offset + 1;
      else if (leader !== undefined && sim.now - proposedAt >= 10) {
        proposedAt = sim.now;
        sim.propose(leader);
      }
      if (target === null) return false;
    }
    const reached = target;
    return sim.nodes.every((n) => n.io === null && n.machine.applied >= reached);
  }, healedAt + boundMs);
  if (done === null) {
    const states = sim.nodes.map((n) => `${n.id}:${n.core?.currentRole}@${n.core?.currentEpoch} hw=${n.core?.committedOffset} applied=${n.machine.applied}`);
    return sim.checker.fail(`liveness: no proposal committed and applied everywhere within ${boundMs} ms of healing (${states.join(", ")})`);
  }
  return done - healedAt;
}
