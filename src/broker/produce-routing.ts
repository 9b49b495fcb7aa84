import type { CoreContext } from "./core-context.ts";
import { availabilityNow, waitForLeaderChange, waitUntil } from "./leader-wait.ts";
import type { BrokerRef } from "./metadata.ts";
import { type Availability, noLeaderError, noPartitionError, pickRoundRobin, surelyNotWritten } from "./partition-availability.ts";
import { isDataLost } from "./lost-replicas.ts";
import { routePartition, type RoutingPolicy } from "./partition-router.ts";
import type { PartitionState, TopicState } from "./topic-catalog.ts";

/**
 * Where a produce goes while brokers die and leaders move (issue 12's "clients ride
 * through it"). Records with a key or an explicit partition must land on that
 * partition: while its leader is being elected they wait (bounded by --leader-wait-ms)
 * for the new one, then fail with a 503 saying the partition's state. Records with
 * neither go round-robin over the partitions whose leader is alive, as Kafka's default
 * partitioner uses only available partitions, and move on to another partition when
 * theirs fails before writing anything. Only a policy that waits (the HTTP adapter's
 * FORWARD) does either; a Kafka client and a forwarded call get the refusal at once and
 * retry on their own.
 */

/** Pause before sending again to a leader that is alive but did not take the write (taking up leadership). */
const RETRY_MS = 100;

/** One try of a write to a partition: locally (leader undefined) or forwarded to `leader`. */
export type Attempt<T> = (ps: PartitionState, leader: BrokerRef | undefined) => Promise<T>;

/**
 * When a produce stops waiting for a leader: `now` for a policy that does not wait. A
 * caller that already read the clock passes its reading (one Date.now less per request).
 */
export function leaderDeadline(ctx: CoreContext, policy: RoutingPolicy, now: number = Date.now()): number {
  return policy.waitsForLeader === true ? now + ctx.config.leaderWaitMs : now;
}

/**
 * Sends to one partition, waiting through its leader's election (if the policy waits).
 * `retriable` says which failures are tried again: for a write, those that surely wrote
 * nothing; a read may say more (fetch.ts).
 */
export async function deliverToPartition<T>(
  ctx: CoreContext,
  topic: string,
  partition: number,
  policy: RoutingPolicy,
  deadline: number,
  attempt: Attempt<T>,
  retriable: (error: unknown) => boolean = surelyNotWritten,
): Promise<T> {
  const started = Date.now();
  const waits = policy.waitsForLeader === true;
  // Said in the 503 only when this produce did wait.
  let waited = false;
  const waitedMs = (): number => (waited ? Date.now() - started : 0);
  for (;;) {
    const ps = ctx.catalog.partition(ctx.catalog.topic(topic), partition);
    const from = ps.assignment;
    const before = availabilityNow(ctx, from);
    // A leader known down whose successor is on its way: no point in calling it.
    if (waits && before.kind === "electing") {
      if (Date.now() >= deadline) throw noLeaderError(topic, partition, before, ctx.brokerRef, waitedMs());
      waited = true;
      await waitForLeaderChange(ctx, topic, partition, from, deadline);
      continue;
    }
    // An offline partition is still tried: this broker may count a live leader down for
    // a moment (a late heartbeat), and a dead one refuses the connection at once.
    const leader = routePartition(ctx.directory.self.id, from.leader, ctx.brokerRef, topic, partition, policy, before.kind === "live");
    try {
      return await attempt(ps, leader);
    } catch (error) {
      if (!triedAgain(policy, error, retriable)) throw error;
      const after = availabilityNow(ctx, ctx.catalog.partition(ctx.catalog.topic(topic), partition).assignment);
      if (after.kind === "offline" || Date.now() >= deadline) throw noLeaderError(topic, partition, after, ctx.brokerRef, waitedMs(), error);
      waited = true;
      if (after.kind === "live") await waitUntil(ctx, () => false, Math.min(deadline, Date.now() + RETRY_MS));
      else await waitForLeaderChange(ctx, topic, partition, from, deadline);
    }
  }
}

/**
 * Whether deliverToPartition tries a partition again after this failure of an attempt
 * (else the failure is the answer): a policy that waits, and a failure `retriable` takes,
 * but never lost data, which only an operator brings back, not waiting.
 */
export function triedAgain(policy: RoutingPolicy, error: unknown, retriable: (error: unknown) => boolean = surelyNotWritten): boolean {
  return policy.waitsForLeader === true && retriable(error) && !isDataLost(error);
}

/**
 * The next round-robin partition whose leader is alive (and not in `skip`), moving the
 * topic's round-robin past it; undefined when none is. `seen` caches liveness per broker.
 */
export function nextLivePartition(ctx: CoreContext, state: TopicState, skip: ReadonlySet<number>, seen = new Map<number, boolean>()): number | undefined {
  const picked = pickRoundRobin(
    state.partitions.length,
    state.roundRobin,
    (p) => !skip.has(p) && availabilityNow(ctx, state.partitions[p].assignment, seen).kind === "live",
  );
  if (!picked) return undefined;
  state.roundRobin = picked.next;
  return picked.partition;
}

/**
 * Sends records that have neither key nor partition: to `first` if given, else the next
 * partition with a live leader; a failure before anything was written moves them on to
 * another one. With no partition available it waits (bounded) for one, unless every
 * partition is offline; resolves with the partition's answer.
 */
export async function deliverAnywhere<T>(
  ctx: CoreContext,
  topic: string,
  policy: RoutingPolicy,
  deadline: number,
  first: number | undefined,
  attempt: Attempt<T>,
  tried: Set<number> = new Set(),
): Promise<T> {
  const started = Date.now();
  const waits = policy.waitsForLeader === true;
  let waited = false;
  let partition = first;
  for (;;) {
    const state = ctx.catalog.topic(topic);
    if (partition === undefined) partition = nextLivePartition(ctx, state, tried);
    if (partition === undefined) {
      const states: Availability[] = state.partitions.map((ps) => availabilityNow(ctx, ps.assignment));
      if (!waits || Date.now() >= deadline || states.every((s) => s.kind === "offline"))
        throw noPartitionError(topic, states, waited ? Date.now() - started : 0);
      waited = true;
      const pause = Math.min(deadline, Date.now() + RETRY_MS);
      await waitUntil(ctx, () => state.partitions.some((ps, p) => !tried.has(p) && availabilityNow(ctx, ps.assignment).kind === "live"), pause);
      if (Date.now() >= pause) tried.clear();
      continue;
    }
    const ps = ctx.catalog.partition(state, partition);
    const leader = routePartition(ctx.directory.self.id, ps.assignment.leader, ctx.brokerRef, topic, partition, policy);
    try {
      return await attempt(ps, leader);
    } catch (error) {
      if (!waits || !surelyNotWritten(error)) throw error;
      tried.add(partition);
      partition = undefined;
    }
  }
}
