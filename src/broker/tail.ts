import { CORE_LIMITS } from "../config/core.ts";
import { REPLICATION_LIMITS } from "../config/replication.ts";
import type { StoredRecord } from "../storage/types.ts";
import type { CoreContext } from "./core-context.ts";
import { assertOffset, countConsumed, outOfRange, topicGone } from "./fetch.ts";
import { awaitHighWatermark, isHighWatermarkPending } from "./high-watermark-pending.ts";
import { isBrokerLive } from "./leader-wait.ts";
import { assertNotLost } from "./lost-replicas.ts";
import { routePartition, type RoutingPolicy } from "./partition-router.ts";
import { readShared } from "./shared-tail-reads.ts";
import type { Tail, TailQuery } from "./types.ts";
import { visibleEnd, waitForAppend } from "./wait-for-append.ts";

/** Records per step of a live tail. */
const TAIL_BATCH_RECORDS = CORE_LIMITS.tailBatchRecords.value;
const TAIL_BATCH_BYTES = CORE_LIMITS.tailBatchBytes.value;

/**
 * A live tail: every record from `offset` (default: the end) on, then each new one as
 * it is appended, until the signal aborts, the topic is deleted or the broker closes.
 * The range is checked before anything is returned, so a bad offset is an error and
 * not an empty stream.
 */
export async function tailRecords(ctx: CoreContext, request: TailQuery, policy: RoutingPolicy, settled = false): Promise<Tail> {
  const state = ctx.catalog.topic(request.topic);
  const ps = ctx.catalog.partition(state, request.partition);
  // "From the end" must not start below records already shown (high-watermark-pending.ts);
  // routed again after the wait, as leadership may have moved meanwhile.
  if (!settled && isHighWatermarkPending(ps)) {
    await awaitHighWatermark(ps, REPLICATION_LIMITS.highWatermarkWaitMs.value, [request.signal, state.lifetime.signal, ctx.lifetime]);
    return tailRecords(ctx, request, policy, true);
  }
  const requested = request.offset === undefined ? undefined : assertOffset(request.offset);
  const leader = routePartition(ctx.directory.self.id, ps.assignment.leader, ctx.brokerRef, request.topic, request.partition, policy, isBrokerLive(ctx, ps.assignment.leader));
  if (leader) return ctx.peers.tail(leader, { ...request, offset: requested });
  if (ctx.logs.get(ps) === undefined) assertNotLost(ctx, state, ps);
  // The range is checked before a never-written partition's folder is created.
  const written = await ctx.logs.leaseWritten(ps);
  if (!written && requested !== undefined && requested > 0) throw outOfRange(requested, 0, 0);
  // Held until the tail ends: its log is never closed under it.
  const lease = written ?? (await ctx.logs.lease(ps));
  const log = lease.log;
  const start = requested ?? visibleEnd(log);
  if (start < log.startOffset || start > log.endOffset) {
    lease.release();
    throw outOfRange(start, log.startOffset, log.endOffset);
  }
  const closed = new AbortController();
  const signals = [request.signal, state.lifetime.signal, ctx.lifetime, closed.signal];
  // Counted from now, not from the first read: a stream nobody reads still holds a slot.
  ctx.metrics.activeStreams.inc();
  let released = false;
  let closedByCaller = false;
  const release = (): void => {
    if (released) return;
    released = true;
    for (const s of signals) s.removeEventListener("abort", release);
    closed.abort();
    ctx.metrics.activeStreams.dec();
    lease.release();
  };
  async function* records(): AsyncGenerator<StoredRecord[]> {
    try {
      let next = start;
      while (!signals.some((s) => s.aborted)) {
        const batch = readShared(log, next, TAIL_BATCH_RECORDS, TAIL_BATCH_BYTES);
        if (batch.length > 0) {
          next = batch[batch.length - 1].offset + 1;
          countConsumed(state, batch);
          yield batch;
          continue;
        }
        await waitForAppend(log, next, Infinity, signals);
      }
      // A reader still there is told why its stream ends, rather than seeing it just stop.
      if (state.lifetime.signal.aborted && !closedByCaller && !request.signal.aborted && !ctx.lifetime.aborted)
        throw topicGone(state.meta.name);
    } finally {
      release();
    }
  }
  for (const s of signals) s.addEventListener("abort", release, { once: true });
  if (signals.some((s) => s.aborted)) release();
  const close = (): void => {
    closedByCaller = true;
    release();
  };
  return { startOffset: start, records: records(), close };
}
