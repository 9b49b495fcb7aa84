import { REPLICATION_LIMITS } from "../config/replication.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import type { CoreContext } from "./core-context.ts";
import { highWatermarkPast } from "./isr-waits.ts";
import { isrOf } from "./metadata.ts";
import { partitionName } from "./partition-router.ts";
import type { PartitionState, TopicState } from "./topic-catalog.ts";
import type { Acks } from "./types.ts";

/**
 * acks=all on a replicated partition (Kafka's produce purgatory): refused before the
 * append while the ISR is smaller than min.insync.replicas, and answered once the high
 * watermark passes the records, that is once every ISR member holds them. A single-replica
 * partition's log is in log-end mode, where the append itself is the commit.
 */

const ACK_TIMEOUT_MS = REPLICATION_LIMITS.produceAckTimeoutMs.value;

export function minInsyncReplicas(state: TopicState): number {
  return state.meta.minInsyncReplicas ?? 1;
}

/**
 * Whether the leader holds the answer to these records until its ISR has them: acks=all
 * on a replicated partition. A broker forwarding them then waits longer than the leader
 * does (PeerTransport.produce), so it never gives up on an answer still coming.
 */
export function awaitsReplicas(ps: PartitionState, records: readonly { acks?: Acks }[]): boolean {
  return ps.assignment.replicas.length > 1 && records.some((r) => (r.acks ?? "all") === "all");
}

/** NOT_ENOUGH_REPLICAS before anything is written (Kafka refuses the same way). */
export function assertEnoughReplicas(state: TopicState, ps: PartitionState, acks: Acks | undefined): void {
  if ((acks ?? "all") !== "all") return;
  const isr = isrOf(ps.assignment);
  const min = minInsyncReplicas(state);
  if (isr.length < min)
    throw new StreamNestError(
      "NOT_ENOUGH_REPLICAS",
      `${partitionName(state.meta.name, ps.partition)} has ${isr.length} in-sync replica${isr.length === 1 ? "" : "s"} (${isr.join(", ")}); acks=all needs ${min}. Nothing was written`,
      { isr: [...isr], minInsyncReplicas: min },
    );
}

/** The leader epoch this leader's appends are stamped with; LEADER_UNAVAILABLE while leadership is being taken up. */
export function leaderEpochFor(ps: PartitionState, log: PartitionLog): number {
  const epoch = ps.assignment.leaderEpoch;
  // Every record of a replicated log is stamped with its leader epoch (KIP-101): until the
  // replication driver has begun this leader's epoch in the log, nothing is appended.
  if (log.highWatermarkMode === "explicit" && log.latestEpoch !== epoch)
    throw new StreamNestError(
      "LEADER_UNAVAILABLE",
      `partition ${ps.partition}: this broker is taking up leadership in epoch ${epoch} (its log is at epoch ${String(log.latestEpoch)}); retry`,
    );
  return epoch;
}

/** Whether an append with these acks waits for the ISR: acks=all on a replicated log (its high watermark moved by the followers). */
export function waitsForIsr(log: PartitionLog, acks: Acks | undefined): boolean {
  return (acks ?? "all") === "all" && log.highWatermarkMode === "explicit";
}

/**
 * Waits until the ISR holds the records up to `lastOffset` written in `epoch`. Anything
 * that leaves it undecided (leadership lost, the wait running out, the ISR shrinking
 * below the minimum meanwhile) is an unknown outcome: the records may yet be committed.
 */
export async function awaitReplication(
  ctx: CoreContext,
  state: TopicState,
  ps: PartitionState,
  log: PartitionLog,
  lastOffset: number,
  epoch: number,
  acks: Acks | undefined,
): Promise<void> {
  if (!waitsForIsr(log, acks)) return;
  const reached = await highWatermarkPast(log, {
    lastOffset,
    // Leadership lost while waiting: the answer cannot come from here any more.
    holds: () => ps.assignment.leader === ctx.directory.self.id && ps.assignment.leaderEpoch === epoch,
    timeoutMs: ACK_TIMEOUT_MS,
    signals: [ctx.lifetime, state.lifetime.signal],
  });
  const where = partitionName(state.meta.name, ps.partition);
  const stillOurs = ps.assignment.leader === ctx.directory.self.id && ps.assignment.leaderEpoch === epoch && safeEpochAt(log, lastOffset) === epoch;
  if (!reached || !stillOurs)
    throw new StreamNestError(
      "REQUEST_TIMED_OUT",
      `the outcome is unknown: ${where} was written on its leader (epoch ${epoch}) but ${stillOurs ? `its in-sync replicas did not confirm within ${ACK_TIMEOUT_MS} ms` : "leadership moved before the in-sync replicas confirmed"}; it may or may not be kept`,
      { unknownOutcome: true },
    );
  const isr = isrOf(ps.assignment);
  if (isr.length < minInsyncReplicas(state))
    throw new StreamNestError(
      "REQUEST_TIMED_OUT",
      `the outcome is unknown: ${where} was written, but the in-sync replicas shrank to ${isr.length} (below ${minInsyncReplicas(state)}) before it was confirmed (Kafka's NOT_ENOUGH_REPLICAS_AFTER_APPEND)`,
      { unknownOutcome: true },
    );
}

function safeEpochAt(log: PartitionLog, offset: number): number | null {
  try {
    return log.epochForOffset(offset);
  } catch {
    return null;
  }
}
