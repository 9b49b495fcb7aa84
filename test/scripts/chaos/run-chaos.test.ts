import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkHistory } from "../../../scripts/chaos/checker.ts";
import type { History } from "../../../scripts/chaos/history.ts";
import { DEFAULTS } from "../../../scripts/chaos/options.ts";
import { type ChaosResult, runChaos } from "../../../scripts/chaos/run-chaos.ts";

/**
 * The chaos run in CI (issue 12 asks for 2 minutes): three real brokers behind fault
 * proxies, a topic with RF 3 and min ISR 2, acks=all producers and consumers while the
 * nemesis kills, pauses and cuts links, and last wipes one broker's data dir (it must
 * copy its partitions back before it counts); the history must show no violation, every
 * fault kind injected, and writes acknowledged while faults were in force. Then the
 * same history, doctored, must fail: the run's verdict is only worth something if the
 * checker sees a lost or moved write in exactly this kind of history.
 */

const SEED = 20261204;
let result: ChaosResult;

beforeAll(async () => {
  result = await runChaos({ ...DEFAULTS, durationS: 120, brokers: 3, faults: ["kill", "pause", "partition", "wipe"], seed: SEED, verbose: false }, (line) =>
    console.log(line),
  );
}, 420_000);

afterAll(() => {
  if (result !== undefined) console.log(`chaos seed ${SEED}: ${JSON.stringify(result.report.counts)}`);
});

describe("a 2-minute chaos run: kill, pause, partition, then a wipe, on 3 brokers", () => {
  test("the checker finds no violation", () => {
    expect(result.report.violations).toEqual([]);
    expect(result.report.valid).toBe(true);
  });

  test("every fault kind was injected, the cluster healed and its replicas converged", () => {
    const kinds = new Set(result.faults.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(["kill", "partition", "pause", "wipe"]);
    // Once, and last: a wiped voter stays an observer, so the quorum has none to spare after it.
    expect(result.faults.filter((f) => f.kind === "wipe").length).toBe(1);
    expect(result.faults.at(-1)?.kind).toBe("wipe");
    for (const fault of result.faults) expect(fault.end).toBeGreaterThan(fault.start);
    // The first fault of each kind aims at a partition's leader.
    for (const kind of kinds) expect(result.faults.find((f) => f.kind === kind)?.target).toContain("(leader of partition ");
    expect(result.problems).toEqual([]);
  });

  test("writes were acknowledged, also while faults were in force, and every one is in the final log", () => {
    const c = result.report.counts;
    expect(c.ok).toBeGreaterThan(0);
    expect(result.acksDuringFaults).toBeGreaterThan(0);
    expect(c.presentValues).toBeGreaterThanOrEqual(c.acknowledgedValues);
    expect(c.replicas).toBe(3 * DEFAULTS.partitions);
    expect(c.committedRecords).toBeGreaterThanOrEqual(c.acknowledgedValues);
    expect(c.reads).toBeGreaterThan(0);
  });

  test("the run's history with one acknowledged record dropped from every replica is a lost write", () => {
    const ack = result.history.attempts.find((a) => a.outcome.type === "ok");
    if (ack === undefined || ack.outcome.type !== "ok") throw new Error("no acknowledged write in the run");
    const { partition, offset } = ack.outcome;
    const doctored: History = {
      attempts: result.history.attempts,
      // Reads of that record during the run would (rightly) be phantom reads too: leave them out.
      reads: result.history.reads.filter((r) => r.value !== ack.value),
      replicas: result.history.replicas.map((log) =>
        log.partition !== partition ? log : { ...log, records: log.records.map((r) => (r.offset === offset ? { offset, value: "doctored" } : r)) },
      ),
    };
    const report = checkHistory(doctored);
    expect(report.valid).toBe(false);
    const kinds = report.violations.map((v) => v.kind).sort();
    // The ack saw the value at that offset and the final log holds another: an inconsistent offset as well.
    expect(kinds).toEqual(["inconsistent-offset", "lost", "unexpected-value"]);
    const lost = report.violations.find((v) => v.kind === "lost");
    expect(lost).toMatchObject({ attempt: ack.id, value: ack.value, acked: { topic: ack.topic, partition, offset }, foundThere: "doctored" });
  });

  test("the run's history with one replica's record changed below the high watermark is a divergent replica", () => {
    const target = result.history.replicas.find((log) => log.highWatermark > 0 && log.records.length > 0);
    if (target === undefined) throw new Error("no replica with committed records");
    const reference = result.history.replicas.filter((l) => l.partition === target.partition).sort((a, b) => b.highWatermark - a.highWatermark)[0];
    const victim = result.history.replicas.find((l) => l.partition === target.partition && l !== reference)!;
    const doctored: History = {
      ...result.history,
      replicas: result.history.replicas.map((log) => (log !== victim ? log : { ...log, records: log.records.map((r, i) => (i === 0 ? { ...r, value: "other" } : r)) })),
    };
    const report = checkHistory(doctored);
    expect(report.violations.map((v) => v.kind)).toEqual(["divergent"]);
    expect(report.violations[0]).toMatchObject({ partition: target.partition, broker: victim.broker, firstOffset: 0, found: "other" });
  });
});
