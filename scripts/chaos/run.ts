import { reportText } from "./report-text.ts";
import { type ChaosOptions, parseOptions } from "./options.ts";
import { runChaos } from "./run-chaos.ts";

/**
 * `npm run chaos -- [--duration=120] [--brokers=3] [--faults=kill,pause,partition[,wipe]] [--seed=N]`:
 * one chaos run (run-chaos.ts), its report printed; exit 1 on any violation of the
 * history, 2 when the run itself fell short or broke off (no acknowledged write, a
 * cluster that did not heal, a topic that could not be created), 0 otherwise. The seed replays the run's choices.
 */

function optionsOrExit(): ChaosOptions {
  try {
    return parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}

const options = optionsOrExit();
const verbose = options.verbose;
console.log(`chaos: ${options.durationS} s, ${options.brokers} brokers, faults ${options.faults.join(",") || "none"}, seed ${options.seed}`);
const result = await runChaos(options, (line) => {
  if (verbose) console.log(line);
}).catch((error: unknown) => {
  // The run itself broke (no cluster, no topic): no history to judge, and no violation found.
  console.error(`chaos: the run broke off (seed ${options.seed}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(2);
});
const byKind = new Map<string, number>();
for (const f of result.faults) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
console.log(`run of ${result.runMs} ms; faults injected: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(", ") || "none"}; acknowledged writes during faults: ${result.acksDuringFaults}; longest wait for full ISRs after a heal: ${result.longestIsrWaitMs} ms`);
console.log(reportText(result.report, result.availability));
for (const slow of result.slowHeals) console.log(`note: ISRs not full again 30 s ${slow}`);
for (const problem of result.problems) console.log(`problem: ${problem}`);
const code = !result.report.valid ? 1 : result.problems.length > 0 ? 2 : 0;
console.log(code === 0 ? `chaos: no violation (seed ${options.seed})` : `chaos: FAILED (seed ${options.seed}; replay with --seed=${options.seed})`);
process.exit(code);
