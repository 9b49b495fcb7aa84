import { StreamNestError } from "../lib/errors.ts";
import { isrOf, type BrokerRef, type PartitionAssignment } from "./metadata.ts";
import { partitionName } from "./partition-router.ts";

/**
 * Whether a partition can take a write right now, as this broker sees it: pure
 * functions of the partition's assignment and of who is alive, so that produce routing
 * (produce.ts, leader-wait.ts) and the tests share one answer.
 *
 * - `live`: its leader is up (this broker, or one that is not known to be down);
 * - `electing`: its leader is down, and a live member of its ISR can be elected in its
 *   place (KIP-631's leader election from the ISR): a new leader is due within seconds;
 * - `offline`: its leader is down and no live ISR member is left (a single replica on a
 *   dead broker, or every in-sync replica gone): nothing changes until one comes back,
 *   since unclean election is off by default (KIP-966).
 */
export type Availability =
  | { kind: "live"; leader: number }
  | { kind: "electing"; leader: number; candidates: number[] }
  | { kind: "offline"; leader: number; isr: number[] };

export function availabilityOf(assignment: PartitionAssignment, isLive: (broker: number) => boolean): Availability {
  const leader = assignment.leader;
  if (isLive(leader)) return { kind: "live", leader };
  const isr = isrOf(assignment);
  const candidates = isr.filter((b) => b !== leader && isLive(b));
  if (candidates.length > 0) return { kind: "electing", leader, candidates };
  return { kind: "offline", leader, isr: [...isr] };
}

/**
 * The next partition of a round-robin that `usable` accepts, starting at `start` and
 * going round once (Kafka's default partitioner spreads records without a key over the
 * partitions that have a leader, KIP-794's "available partitions"); undefined when none.
 * `next` is where the round-robin goes on from.
 */
export function pickRoundRobin(count: number, start: number, usable: (partition: number) => boolean): { partition: number; next: number } | undefined {
  for (let i = 0; i < count; i++) {
    const partition = (start + i) % count;
    if (usable(partition)) return { partition, next: (partition + 1) % count };
  }
  return undefined;
}

/**
 * True when a produce failed before anything was written, so sending it again (to the
 * same partition once it has a leader, or an unkeyed record to another partition)
 * cannot duplicate it: the leader could not be reached at all, was not the leader, or
 * was still taking up leadership. A timeout, a connection broken after sending, or an
 * unconfirmed replication is an unknown outcome and is never sent again.
 */
export function surelyNotWritten(error: unknown): boolean {
  if (!(error instanceof StreamNestError)) return false;
  if (error.code !== "LEADER_UNAVAILABLE" && error.code !== "NOT_LEADER_OR_FOLLOWER") return false;
  const d = error.details as { timedOut?: unknown; interrupted?: unknown; unknownOutcome?: unknown; mayHaveArrived?: unknown } | undefined;
  return d?.timedOut !== true && d?.interrupted !== true && d?.unknownOutcome !== true && d?.mayHaveArrived !== true;
}

const brokerName = (b: BrokerRef): string => `broker ${b.id} (${b.address})`;
const list = (ids: readonly number[]): string => ids.join(", ");

/**
 * The 503 for a partition that has no leader to take the write: what state it is in,
 * which broker is down, what would bring it back, and how long this broker waited.
 */
export function noLeaderError(
  topic: string,
  partition: number,
  availability: Exclude<Availability, { kind: "live" }> | { kind: "live"; leader: number },
  brokerRef: (id: number) => BrokerRef,
  waitedMs: number,
  cause?: unknown,
): StreamNestError {
  const where = partitionName(topic, partition);
  const leader = brokerRef(availability.leader);
  const waited = waitedMs > 0 ? ` (waited ${waitedMs} ms)` : "";
  const why = cause instanceof Error ? `: ${cause.message}` : "";
  const details = { partition, state: availability.kind, leader: leader.id, broker: leader.address };
  switch (availability.kind) {
    case "offline":
      return new StreamNestError(
        "LEADER_UNAVAILABLE",
        `${where} is offline: its leader ${brokerName(leader)} is down and no other in-sync replica is alive to take over (in-sync replicas: ${list(availability.isr)}); it is writable again once broker ${leader.id} is back${waited}${why}`,
        { ...details, isr: availability.isr },
      );
    case "electing":
      return new StreamNestError(
        "LEADER_UNAVAILABLE",
        `${where} is electing a new leader: its leader ${brokerName(leader)} is down and no new one from the in-sync replicas ${list(availability.candidates)} took over in time${waited}; retry${why}`,
        { ...details, candidates: availability.candidates },
      );
    case "live":
      return new StreamNestError(
        "LEADER_UNAVAILABLE",
        `${where} is taking up a new leader: ${brokerName(leader)} did not take the write in time${waited}; retry${why}`,
        details,
      );
  }
}

const SHOWN = 5;

/** The 503 for a record without key or partition when no partition of the topic can take it. */
export function noPartitionError(topic: string, states: readonly Availability[], waitedMs: number): StreamNestError {
  const waited = waitedMs > 0 ? ` (waited ${waitedMs} ms)` : "";
  const stateOf = (s: Availability, p: number): string =>
    s.kind === "live" ? `${p} taking up leadership on broker ${s.leader}` : `${p} ${s.kind} (leader broker ${s.leader} down)`;
  const shown = states.slice(0, SHOWN).map(stateOf).join(", ");
  const more = states.length > SHOWN ? ` and ${states.length - SHOWN} more` : "";
  return new StreamNestError(
    "LEADER_UNAVAILABLE",
    `no partition of topic "${topic}" has a live leader to take a message without key or partition${waited}; partitions ${shown}${more}; retry`,
    { partitions: states.map((s, partition) => ({ partition, state: s.kind, leader: s.leader })) },
  );
}
