/**
 * The replication core (src/cluster/replication/) under crashes, zombie leaders, lost
 * and delayed fetches and elections from the ISR: no acknowledged (acks=all) record is
 * lost or moved, replicas are identical below their high watermarks, and after healing
 * every replica is back in the ISR holding every acknowledged record. A failing seed is
 * printed; replay it with REPL_SEED=<n> bun test test/sim/replication.test.ts.
 */
import { expect, test } from "bun:test";
import { ReplicationSim } from "./replication/replication-sim.ts";

const single = process.env.REPL_SEED;
const seeds = single === undefined ? Array.from({ length: Number(process.env.REPL_SEEDS ?? 100) }, (_, i) => i + 1) : [Number(single)];

function runSeed(seed: number): { ok: true; acked: number; elections: number } | { ok: false; error: string; trace: string[] } {
  const sim = new ReplicationSim(seed);
  try {
    sim.run(4000);
    sim.healed();
    return { ok: true, acked: sim.acked.size, elections: sim.elections };
  } catch (error) {
    return { ok: false, error: `seed ${seed}: ${(error as Error).message}`, trace: sim.trace };
  }
}

test(`${seeds.length} random runs keep every acknowledged record`, () => {
  const failures: string[] = [];
  let acked = 0;
  let elections = 0;
  for (const seed of seeds) {
    const r = runSeed(seed);
    if (r.ok) {
      acked += r.acked;
      elections += r.elections;
    } else {
      failures.push(`${r.error}\n  replay: REPL_SEED=${seed} bun test test/sim/replication.test.ts`);
      if (single !== undefined) console.log(r.trace.join("\n"));
    }
  }
  expect(failures.slice(0, 5).join("\n")).toBe("");
  // The runs did what they are for: records acknowledged and leaders replaced.
  expect(acked).toBeGreaterThan(seeds.length * 10);
  if (single === undefined) expect(elections).toBeGreaterThan(seeds.length);
}, 120_000);

test("a seed replays exactly", () => {
  const digest = (seed: number) => {
    const sim = new ReplicationSim(seed);
    sim.run(2000);
    return [sim.trace.join("\n"), [...sim.acked].join(",")];
  };
  expect(digest(42)).toEqual(digest(42));
});
