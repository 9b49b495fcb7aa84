import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acknowledgedWrites, type Availability, type FaultEvent, longestQuietWindows } from "./availability.ts";
import { type CheckReport, checkHistory } from "./checker.ts";
import { createChaosTopic, startChaosCluster, waitForFullIsr } from "./cluster.ts";
import type { History } from "./history.ts";
import { healEverything, runNemesis } from "./nemesis.ts";
import type { ChaosOptions } from "./options.ts";
import { SeededRandom } from "./random.ts";
import { readEveryReplica, waitForConvergence } from "./replica-reads.ts";
import { Workload } from "./workload.ts";

/**
 * One chaos run (issue 12): a cluster of real brokers behind fault proxies, a
 * replicated topic (RF 3, min ISR 2), producers and consumers for the duration while
 * the nemesis injects faults, then a heal, full ISRs, every replica read from offset 0,
 * and the history judged by the checker. Returns everything the caller prints or
 * asserts; the cluster is stopped before it returns.
 */

export const CHAOS_TOPIC = "chaos";

export interface ChaosResult {
  options: ChaosOptions;
  history: History;
  report: CheckReport;
  availability: Availability;
  faults: FaultEvent[];
  /** Acknowledged writes that completed while some fault was in force. */
  acksDuringFaults: number;
  /** Problems of the run that are not the history's: faults asked for but never injected, ISRs not full at the end, replicas that never converged. */
  problems: string[];
  /** Heals after which the ISRs were not full again within the nemesis's wait (the next fault came anyway). */
  slowHeals: string[];
  runMs: number;
  /** The longest wait, after a heal, until every partition's ISR was full again. */
  longestIsrWaitMs: number;
}

export async function runChaos(options: ChaosOptions, log: (line: string) => void = () => undefined): Promise<ChaosResult> {
  const random = new SeededRandom(options.seed);
  const chaos = await startChaosCluster(options);
  const problems: string[] = [];
  let workload: Workload | undefined;
  try {
    await createChaosTopic(chaos, CHAOS_TOPIC, options.partitions);
    log(`cluster of ${options.brokers} brokers up; topic ${CHAOS_TOPIC}: ${options.partitions} partitions, RF ${Math.min(3, options.brokers)}, min ISR 2`);
    const t0 = performance.now();
    const clock = (): number => Math.round(performance.now() - t0);
    const durationMs = options.durationS * 1000;
    workload = new Workload(chaos.brokers, random.fork(1), {
      topic: CHAOS_TOPIC,
      partitions: options.partitions,
      producers: options.producers,
      seed: options.seed,
      clock,
    });
    workload.start();
    log(`faults (${options.faults.join(", ") || "none"}), seed ${options.seed}:`);
    const nemesis = await runNemesis(chaos, random.fork(2), {
      topic: CHAOS_TOPIC,
      kinds: options.faults,
      sessionTimeoutMs: options.sessionTimeoutMs,
      clock,
      // A fault lasts up to ~10 s and its heal is waited for; start none too near the end.
      lastStartAt: Math.max(0, durationMs - 8_000),
      log,
    }).finally(() => healEverything(chaos));
    const rest = durationMs - clock();
    if (rest > 0) await Bun.sleep(rest);
    await workload.stop();
    const runMs = clock();

    const isr = await waitForFullIsr(chaos, CHAOS_TOPIC, 60_000);
    if (!isr.ok) problems.push(`ISRs not full 60 s after the run: ${isr.detail}`);
    const converged = await waitForConvergence(chaos, CHAOS_TOPIC, 60_000);
    if (!converged.ok) problems.push(`replicas did not converge within 60 s: ${converged.detail}`);
    const replicas = await readEveryReplica(chaos, CHAOS_TOPIC);

    const history: History = { attempts: workload.attempts, reads: workload.reads, replicas };
    if (options.historyOut !== undefined) writeFileSync(options.historyOut, JSON.stringify({ options, faults: nemesis.faults, history }));
    const report = checkHistory(history);
    const partitions = Array.from({ length: options.partitions }, (_, partition) => ({ topic: CHAOS_TOPIC, partition }));
    const acks = acknowledgedWrites(history.attempts);
    const availability = longestQuietWindows({ run: { start: 0, end: runMs }, partitions, faults: nemesis.faults, acks });
    const acksDuringFaults = acks.filter((a) => nemesis.faults.some((f) => a.at >= f.start && a.at <= (f.end ?? runMs))).length;
    for (const kind of options.faults)
      if (!nemesis.faults.some((f) => f.kind === kind)) problems.push(`fault ${kind} was asked for but never injected (the run is too short)`);
    if (report.counts.ok === 0) problems.push("no write was acknowledged during the run");
    return { options, history, report, availability, faults: nemesis.faults, acksDuringFaults, problems, runMs, longestIsrWaitMs: nemesis.longestIsrWaitMs, slowHeals: nemesis.unhealed };
  } finally {
    // A run cut short by an error still ends its clients before the brokers go.
    await workload?.stop();
    await chaos.cluster.stop();
    if (options.logsDir !== undefined) {
      mkdirSync(options.logsDir, { recursive: true });
      for (const broker of chaos.brokers) writeFileSync(join(options.logsDir, `broker-${broker.id}.log`), broker.output);
    }
  }
}
