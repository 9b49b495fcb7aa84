/**
 * Crashes that land inside a node's disk writes: a crash loses whatever was not
 * flushed, though the device may have taken a prefix of the unflushed appends anyway.
 */
import { expect, test } from "bun:test";
import { SeededRandom } from "../../src/cluster/quorum/prng.ts";
import { DEFAULT_TIMING } from "../../src/cluster/quorum/types.ts";
import { awaitLeader } from "./harness/scenario-helpers.ts";
import { SIM_TIMING, SimCluster } from "./harness/sim-cluster.ts";

function crashLoop(voters: number, seed: number): SimCluster {
  const plan = new SeededRandom(seed);
  const sim = new SimCluster({ seed, voters, observers: 1, diskLatencyMs: [5, 25], network: { minDelayMs: 1, maxDelayMs: 4 } });
  for (let t = 0; t < 3000; t += 3 + plan.int(10)) {
    sim.at(t, () => {
      for (const id of sim.leaders()) sim.propose(id);
    });
  }
  for (let t = 50; t < 3000; t += 80 + plan.int(250)) {
    const victim = 1 + plan.int(voters);
    sim.at(t, () => {
      sim.crash(victim);
      sim.restart(victim);
    });
  }
  sim.runUntil(3000);
  return sim;
}

test("a lone voter crashed again and again mid-write never writes one epoch twice, nor loses a commit", () => {
  let epochs = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const sim = crashLoop(1, seed);
    epochs += sim.checker.epochsWithLeader();
    expect(sim.checker.violations).toEqual([]);
  }
  // The loop really made it stand again and again.
  expect(epochs).toBeGreaterThan(150);
});

test("three voters crashed one at a time mid-write keep every commit, then recover", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const sim = crashLoop(3, seed);
    expect(sim.acked.length).toBeGreaterThan(0);
    awaitLeader(sim, 3000);
  }
});

test("a leader stopped gracefully is replaced well within the fetch timeout; a crashed one only after it", () => {
  for (const graceful of [true, false]) {
    const sim = new SimCluster({ seed: 61, voters: 3, network: { minDelayMs: 1, maxDelayMs: 4 } });
    const old = awaitLeader(sim, 3000);
    const stoppedAt = sim.now;
    if (graceful) sim.stopGracefully(old);
    else sim.crash(old);
    const next = awaitLeader(sim, 3000);
    expect(next).not.toBe(old);
    const failover = sim.now - stoppedAt;
    if (graceful) expect(failover).toBeLessThan(SIM_TIMING.fetchTimeoutMs / 2);
    else expect(failover).toBeGreaterThanOrEqual(SIM_TIMING.fetchTimeoutMs);
  }
});

test("with the default timing a crashed leader is replaced, and its successor has committed, within 3 s of simulated time", () => {
  const failovers: number[] = [];
  for (let seed = 1; seed <= 60; seed++) {
    const sim = new SimCluster({ seed, voters: seed % 2 === 0 ? 3 : 5, timing: DEFAULT_TIMING, network: { minDelayMs: 1, maxDelayMs: 4 } });
    const old = awaitLeader(sim, 30_000);
    sim.runUntil(sim.now + 500 + seed * 13);
    const crashedAt = sim.now;
    sim.crash(old);
    awaitLeader(sim, 30_000);
    failovers.push(sim.now - crashedAt);
  }
  expect(Math.max(...failovers)).toBeLessThan(3000);
  // Not faster than the fetch timeout allows: followers must first miss the leader.
  expect(Math.min(...failovers)).toBeGreaterThanOrEqual(DEFAULT_TIMING.fetchTimeoutMs - DEFAULT_TIMING.fetchMaxWaitMs);
});
