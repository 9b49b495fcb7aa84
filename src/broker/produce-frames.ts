import { StreamNestError } from "../lib/errors.ts";
import type { FrameBatch } from "../storage/frame-batch.ts";
import type { CoreContext } from "./core-context.ts";
import { availabilityNow } from "./leader-wait.ts";
import { assertNotLost } from "./lost-replicas.ts";
import { REFUSE, routePartition } from "./partition-router.ts";
import { assertEnoughReplicas, awaitReplication, leaderEpochFor } from "./produce-acks.ts";
import { isInternalTopic } from "./topic-catalog.ts";
import type { Acks } from "./types.ts";

/**
 * Produce of records an adapter already laid out as frames (a Kafka record batch turned
 * into storage's frames without a record object each): one append of the whole batch to
 * one partition this broker leads, with produce's acks and replication semantics. A
 * partition led elsewhere is refused (NOT_LEADER_OR_FOLLOWER or LEADER_NOT_AVAILABLE), as
 * the Kafka adapter answers; nothing is forwarded.
 *
 * The checks of produce.ts that look into each record (the topic's schema, the message
 * size limit) are not run here: an adapter asks `needsRecordChecks` first and takes the
 * record-by-record path when they apply, so a refused record gets its own error.
 */

/** Whether records of this size bound for `topic` must go through produce's per-record checks. */
export function needsRecordChecks(ctx: CoreContext, topic: string, maxRecordBytes: number): boolean {
  const state = ctx.catalog.topic(topic);
  return maxRecordBytes > ctx.config.maxMessageBytes || ctx.schemas.latest(state.meta.schemas) !== undefined;
}

/**
 * Appends the batch to `partition` here; resolves with its first record's offset once
 * `acks` is satisfied. `appended` is called with that offset once the batch is in the
 * leader's log, before the wait for replicas (not if it failed before).
 */
export async function produceFrames(
  ctx: CoreContext,
  topic: string,
  partition: number,
  batch: FrameBatch,
  acks: Acks,
  appended?: (baseOffset: number) => void,
): Promise<number> {
  if (ctx.lifetime.aborted) throw new StreamNestError("LEADER_UNAVAILABLE", "the broker is shutting down");
  const state = ctx.catalog.topic(topic);
  if (isInternalTopic(state.meta.name))
    throw new StreamNestError("INVALID_REQUEST", `${topic} is an internal topic written by the group coordinators only; commit offsets through the consumer group`);
  if (needsRecordChecks(ctx, topic, batch.maxRecordBytes))
    throw new StreamNestError("INVALID_REQUEST", `records bound for ${topic} need produce's per-record checks (a schema, or one over the size limit)`);
  const ps = ctx.catalog.partition(state, partition);
  const live = availabilityNow(ctx, ps.assignment).kind === "live";
  routePartition(ctx.directory.self.id, ps.assignment.leader, ctx.brokerRef, topic, partition, REFUSE, live);
  if (ctx.logs.get(ps) === undefined) assertNotLost(ctx, state, ps);
  assertEnoughReplicas(state, ps, acks);
  const started = performance.now();
  const lease = await ctx.logs.lease(ps);
  let baseOffset: number;
  try {
    const epoch = leaderEpochFor(ps, lease.log);
    ({ baseOffset } = await lease.log.appendFrames(batch));
    appended?.(baseOffset);
    await awaitReplication(ctx, state, ps, lease.log, baseOffset + batch.count - 1, epoch, acks);
  } finally {
    lease.release();
  }
  ctx.metrics.produceLatency.record((performance.now() - started) / 1000);
  state.counters.produced += batch.count;
  state.counters.bytesIn += batch.recordBytes;
  return baseOffset;
}

/**
 * Waits until records this broker wrote at or below `lastOffset` in leader epoch `epoch`
 * are acknowledged as `acks` asks, as produceFrames waits after its append: for a retried
 * batch that is already in the log (an idempotent producer's duplicate, KIP-98). As Kafka,
 * which checks the ISR against min.insync.replicas before it looks for a duplicate, and
 * answers one only once the high watermark passes it (DelayedProduce).
 */
export async function awaitWritten(ctx: CoreContext, topic: string, partition: number, lastOffset: number, epoch: number, acks: Acks): Promise<void> {
  const state = ctx.catalog.topic(topic);
  const ps = ctx.catalog.partition(state, partition);
  routePartition(ctx.directory.self.id, ps.assignment.leader, ctx.brokerRef, topic, partition, REFUSE, availabilityNow(ctx, ps.assignment).kind === "live");
  assertEnoughReplicas(state, ps, acks);
  const lease = await ctx.logs.lease(ps);
  try {
    await awaitReplication(ctx, state, ps, lease.log, lastOffset, epoch, acks);
  } finally {
    lease.release();
  }
}
