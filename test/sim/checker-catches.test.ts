/**
 * The simulation can fail: deliberately broken variants of the core and of the driver
 * (test-only options) are run, and the invariant checker must catch each one.
 */
import { expect, test } from "bun:test";
import { InvariantViolation } from "./harness/checker.ts";
import { runFigure8 } from "./harness/figure-8-scenario.ts";
import { randomRun } from "./harness/random-run.ts";
import type { SimOptions } from "./harness/sim-cluster.ts";
import { emptyCoverage } from "./harness/sim-trace.ts";

const RUN = { chaosMs: 2000, livenessBoundMs: 4000 };

function firstFailure(unsafe: SimOptions["unsafe"], maxSeeds: number): { seed: number; error: string } | null {
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const result = randomRun(seed, { ...RUN, unsafe });
    if (!result.ok) return { seed, error: result.error ?? "" };
  }
  return null;
}

test("granting votes without the log check loses committed entries, and the checker says so within 100 seeds", () => {
  const failure = firstFailure({ skipVoteLogCheck: true }, 100);
  expect(failure).not.toBeNull();
  expect(failure!.error).toMatch(/^(leader completeness|state machine safety|log matching|node \d+ truncated its log)/);
});

test("a driver that sends before persisting is caught on the first seed", () => {
  const failure = firstFailure({ sendBeforePersist: true }, 1);
  expect(failure).not.toBeNull();
  expect(failure!.error).toMatch(/before persisting/);
});

test("committing an older epoch's entries by counting replicas is caught by the Figure 8 scenario", () => {
  expect(() => runFigure8({ commitOlderEpochsByCount: true })).toThrow(InvariantViolation);
  expect(() => runFigure8({ commitOlderEpochsByCount: true })).toThrow(/^leader completeness: new leader \d lacks committed offset/);
});

test("the random runs reach the paths that matter: divergence, snapshots, resignations, crashes, wiped voters, adopted directory ids", () => {
  const total = emptyCoverage();
  for (let seed = 1; seed <= 100; seed++) {
    const result = randomRun(seed, RUN);
    expect(result.error).toBeNull();
    for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += result.sim.coverage[key];
  }
  for (const count of Object.values(total)) expect(count).toBeGreaterThan(0);
});
