import { partitionKey, type History, type Place, type ProduceAttempt } from "./history.ts";
import { checkOffsets } from "./offsets.ts";
import { checkReplicas, type PartitionLog } from "./replicas.ts";
import { validateAttempts } from "./attempt-chains.ts";
import { placesText, placeText, VIOLATION_KINDS, type Violation, type ViolationKind } from "./violations.ts";

/**
 * The history checker of the chaos harness (issue 12), after Jepsen's Kafka checker:
 * given every produce attempt, every read made during the run and every replica's
 * final log, it finds acknowledged writes lost or moved, duplicates no retry explains,
 * writes refused as failed that happened anyway, offsets seen with two values, reads of
 * values that later vanished, replicas that differ below the high watermark, and holes
 * in the offsets. Pure: no I/O, no clock.
 */

export interface CheckCounts {
  attempts: number;
  ok: number;
  failed: number;
  unknown: number;
  /** Attempts that retry an earlier one. */
  retries: number;
  /** Distinct values attempted (logical writes). */
  values: number;
  /** Values acknowledged at least once. */
  acknowledgedValues: number;
  /** Attempted values found in the final committed logs. */
  presentValues: number;
  /** Values never acknowledged, with an unknown outcome, found in the final log (the unknown was a success). */
  unknownPresent: number;
  /** Values found at more than one offset (allowed after a retried unknown outcome, else also a violation). */
  duplicatedValues: number;
  reads: number;
  partitions: number;
  replicas: number;
  /** Records below the high watermark of the partitions' reference logs. */
  committedRecords: number;
  /** Records at or above it (in flight when read; not judged). */
  uncommittedRecords: number;
  violations: Record<ViolationKind, number>;
}

export interface CheckReport {
  valid: boolean;
  counts: CheckCounts;
  violations: Violation[];
}

export function checkHistory(history: History): CheckReport {
  const chains = validateAttempts(history.attempts);
  const replicas = checkReplicas(history.replicas);
  const located = locateValues(replicas.logs);
  const violations: Violation[] = [
    ...chains.violations,
    ...checkAcknowledged(history.attempts, replicas.logs, located),
    ...checkCopies(chains.byValue, located),
    ...checkOffsets(history, replicas.logs),
    ...checkReads(history, replicas.logs, located),
    ...replicas.violations,
  ];

  const violationCounts = Object.fromEntries(VIOLATION_KINDS.map((kind) => [kind, 0])) as Record<ViolationKind, number>;
  for (const violation of violations) violationCounts[violation.kind]++;
  const outcomes = (type: ProduceAttempt["outcome"]["type"]): number => history.attempts.filter((a) => a.outcome.type === type).length;
  const logs = [...replicas.logs.values()];
  let acknowledgedValues = 0;
  let presentValues = 0;
  let unknownPresent = 0;
  for (const [value, attempts] of chains.byValue) {
    const acknowledged = attempts.some((a) => a.outcome.type === "ok");
    const present = located.has(value);
    if (acknowledged) acknowledgedValues++;
    if (present) presentValues++;
    if (present && !acknowledged && attempts.some((a) => a.outcome.type === "unknown")) unknownPresent++;
  }
  return {
    valid: violations.length === 0,
    violations,
    counts: {
      attempts: history.attempts.length,
      ok: outcomes("ok"),
      failed: outcomes("failed"),
      unknown: outcomes("unknown"),
      retries: history.attempts.filter((a) => a.retryOf !== undefined).length,
      values: chains.byValue.size,
      acknowledgedValues,
      presentValues,
      unknownPresent,
      duplicatedValues: [...located.values()].filter((places) => places.length > 1).length,
      reads: history.reads.length,
      partitions: logs.length,
      replicas: history.replicas.length,
      committedRecords: logs.reduce((sum, log) => sum + log.committed.size, 0),
      uncommittedRecords: logs.reduce((sum, log) => sum + log.uncommitted.size, 0),
      violations: violationCounts,
    },
  };
}

/** Every committed copy of every value in the final logs. */
function locateValues(logs: Map<string, PartitionLog>): Map<string, Place[]> {
  const located = new Map<string, Place[]>();
  for (const log of logs.values()) {
    for (const [offset, value] of log.committed) {
      const places = located.get(value) ?? [];
      places.push({ topic: log.topic, partition: log.partition, offset });
      located.set(value, places);
    }
  }
  return located;
}

/** An acknowledged value must be in the final log at the very offset it was acknowledged at. */
function checkAcknowledged(attempts: ProduceAttempt[], logs: Map<string, PartitionLog>, located: Map<string, Place[]>): Violation[] {
  const violations: Violation[] = [];
  for (const attempt of attempts) {
    if (attempt.outcome.type !== "ok") continue;
    const acked: Place = { topic: attempt.topic, partition: attempt.outcome.partition, offset: attempt.outcome.offset };
    const log = logs.get(partitionKey(acked.topic, acked.partition));
    const there = log?.committed.get(acked.offset) ?? null;
    if (there === attempt.value) continue;
    const foundAt = located.get(attempt.value) ?? [];
    if (foundAt.length === 0) {
      const aboveHighWatermark = [...(log?.uncommitted.values() ?? [])].includes(attempt.value);
      violations.push({
        kind: "lost",
        message:
          `attempt ${attempt.id}: ${JSON.stringify(attempt.value)} acknowledged at ${placeText(acked)} is not in the final log ` +
          `(that offset holds ${there === null ? "nothing" : JSON.stringify(there)}${aboveHighWatermark ? "; the value is only above the high watermark" : ""})`,
        attempt: attempt.id,
        value: attempt.value,
        acked,
        foundThere: there,
        aboveHighWatermark,
      });
    } else {
      violations.push({
        kind: "wrong-offset",
        message: `attempt ${attempt.id}: ${JSON.stringify(attempt.value)} acknowledged at ${placeText(acked)} is at ${placesText(foundAt)} instead`,
        attempt: attempt.id,
        value: attempt.value,
        acked,
        foundAt,
      });
    }
  }
  return violations;
}

/**
 * Each ok or unknown attempt may have written one copy; a failed one none. So a value
 * is duplicated legitimately only when an unknown outcome was retried, and any copy in
 * a partition none of its attempts could reach is misplaced.
 */
function checkCopies(byValue: Map<string, ProduceAttempt[]>, located: Map<string, Place[]>): Violation[] {
  const violations: Violation[] = [];
  for (const [value, copies] of located) {
    const attempts = byValue.get(value) ?? [];
    const shown = JSON.stringify(value);
    if (attempts.length === 0) {
      violations.push({ kind: "unexpected-value", message: `${shown} at ${placesText(copies)} was never produced`, value, copies });
      continue;
    }
    const ids = (): string[] => attempts.map((a) => a.id);
    for (const place of copies) {
      if (attempts.some((a) => a.topic === place.topic && (a.partition === undefined || a.partition === place.partition))) continue;
      violations.push({ kind: "misplaced", message: `${shown} at ${placeText(place)}, where none of ${ids().join(", ")} produced it`, value, at: place, attempts: ids() });
    }
    let allowed = 0;
    for (const attempt of attempts) if (attempt.outcome.type !== "failed") allowed++;
    if (copies.length <= allowed) continue;
    const okAttempts = attempts.filter((a) => a.outcome.type === "ok").map((a) => a.id);
    const unknownAttempts = attempts.filter((a) => a.outcome.type === "unknown").map((a) => a.id);
    if (allowed === 0) {
      violations.push({
        kind: "failed-write-present",
        message: `${shown} is at ${placesText(copies)} although every attempt (${ids().join(", ")}) failed`,
        value,
        copies,
        attempts: ids(),
      });
    } else {
      violations.push({
        kind: "duplicate",
        message: `${shown} has ${copies.length} copies (${placesText(copies)}) but only ${allowed} attempt(s) could have written it (ok: ${okAttempts.join(", ") || "none"}; unknown: ${unknownAttempts.join(", ") || "none"})`,
        value,
        copies,
        okAttempts,
        unknownAttempts,
      });
    }
  }
  return violations;
}

/** A value read during the run was committed, so it must be in the final log, at the offset it was read at. */
function checkReads(history: History, logs: Map<string, PartitionLog>, located: Map<string, Place[]>): Violation[] {
  const violations: Violation[] = [];
  for (const read of history.reads) {
    if (logs.get(partitionKey(read.topic, read.partition))?.committed.get(read.offset) === read.value) continue;
    const foundAt = located.get(read.value) ?? [];
    const what = `${JSON.stringify(read.value)} read at ${placeText(read)} at ${read.at}${read.broker === undefined ? "" : ` from broker ${read.broker}`}`;
    if (foundAt.length === 0) violations.push({ kind: "phantom-read", message: `${what} is not in the final log`, read });
    else violations.push({ kind: "moved-read", message: `${what} is at ${placesText(foundAt)} in the final log`, read, foundAt });
  }
  return violations;
}
