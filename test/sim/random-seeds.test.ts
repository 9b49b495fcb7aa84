/**
 * Thousands of randomised simulation runs (see harness/random-run.ts): each seed picks a
 * cluster shape, network faults and a schedule of crashes and partitions; safety is
 * checked after every event and liveness after healing. A failing seed is printed with
 * the command that replays it:
 *   SIM_SEED=123 bun test test/sim/random-seeds.test.ts     (one seed, with a trace)
 *   SIM_SEEDS=20000 SIM_SEED_BASE=1 bun test test/sim/random-seeds.test.ts   (a long soak)
 */
import { expect, test } from "bun:test";
import { randomRun, type RunResult } from "./harness/random-run.ts";

const RUN = { chaosMs: 2000, livenessBoundMs: 4000 };
const single = process.env.SIM_SEED;
const seeds = Number(process.env.SIM_SEEDS ?? 4000);
const base = Number(process.env.SIM_SEED_BASE ?? 1);
const BATCHES = 10;

function report(failures: RunResult[]): string {
  return failures
    .map((f) => `seed ${f.seed} failed: ${f.error}\n  replay: SIM_SEED=${f.seed} bun test test/sim/random-seeds.test.ts`)
    .join("\n");
}

test("a seed replays exactly: the same events and the same committed log", () => {
  const digest = (r: RunResult) => [r.events, r.acked, r.sim.checker.committed.map((e) => `${e.offset}/${e.epoch}`).join(",")];
  for (const seed of [7, 77, 777]) expect(digest(randomRun(seed, RUN))).toEqual(digest(randomRun(seed, RUN)));
});

if (single !== undefined) {
  test(`replay of seed ${single}`, () => {
    const result = randomRun(Number(single), { ...RUN, trace: true });
    if (!result.ok) console.log(result.sim.traceLines.join("\n"));
    console.log(`seed ${single}: ${result.events} events, ${result.acked} proposals committed, recovery ${result.recoveryMs} ms`);
    expect(report(result.ok ? [] : [result])).toBe("");
  });
} else {
  const perBatch = Math.ceil(seeds / BATCHES);
  for (let batch = 0; batch < BATCHES; batch++) {
    const from = base + batch * perBatch;
    const to = Math.min(base + seeds, from + perBatch);
    test(`seeds ${from}..${to - 1}: safe after every event, live after healing`, () => {
      const failures: RunResult[] = [];
      let acked = 0;
      for (let seed = from; seed < to; seed++) {
        const result = randomRun(seed, RUN);
        acked += result.acked;
        if (!result.ok) failures.push(result);
      }
      if (failures.length > 0) console.error(report(failures));
      expect(report(failures)).toBe("");
      // The runs did real work: on average dozens of committed proposals per seed.
      expect(acked).toBeGreaterThan((to - from) * 20);
    }, 120_000);
  }
}
