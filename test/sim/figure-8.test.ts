/**
 * Figure 8 of the Raft paper (§5.4.2), replayed on the simulated quorum: an entry of an
 * older epoch that a new leader has copied to a majority is NOT committed by counting
 * replicas; if that leader dies before committing an entry of its own epoch, a server
 * with a later last epoch can still win and overwrite it. Only the leader-change entry
 * of the leader's own epoch commits what precedes it.
 */
import { expect, test } from "bun:test";
import { runFigure8 } from "./harness/figure-8-scenario.ts";

test("Figure 8: an old-epoch entry on a majority is not committed, and may be overwritten, until the leader commits its own epoch", () => {
  const outcome = runFigure8();
  const { sim, x } = outcome;
  // X sat on a majority of the five voters, and the leader knew it, yet it was not committed.
  expect(outcome.holdersOfXAtCrash).toBeGreaterThanOrEqual(3);
  expect(outcome.xCommittedAtCrash).toBe(false);
  // E won with C and D and overwrote X: safe only because X was never committed.
  expect(outcome.finalLeader).toBe(outcome.e);
  expect(sim.checker.committed[x.offset]!.epoch).toBe(outcome.epochOfE);
  for (const node of sim.nodes) expect(node.disk.log.epochAt(x.offset)).toBe(outcome.epochOfE);
  expect(sim.acked.some((p) => p.offset === x.offset && p.epoch === x.epoch)).toBe(false);
});
