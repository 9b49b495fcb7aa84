import { REPLICATION_LIMITS } from "../config/replication.ts";
import type { StoredFrames } from "../storage/frame-read.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import type { CoreContext } from "./core-context.ts";
import { assertOffset, FETCH_MAX_BYTES_LIMIT, FETCH_MAX_RECORDS_LIMIT, outOfRange } from "./fetch.ts";
import { awaitHighWatermark, isHighWatermarkPending } from "./high-watermark-pending.ts";
import { isBrokerLive } from "./leader-wait.ts";
import { assertNotLost } from "./lost-replicas.ts";
import { REFUSE, routePartition } from "./partition-router.ts";
import type { PartitionState, TopicState } from "./topic-catalog.ts";
import { visibleEnd } from "./wait-for-append.ts";

/**
 * Fetch of a partition this broker leads, answered with the records' checked frames
 * (storage's readFrames) instead of record objects: for an adapter that encodes them
 * straight into its wire format (a Kafka record batch). It reads what is there now and
 * never waits; the adapter does its own long poll. A partition led elsewhere is refused
 * as the Kafka adapter answers (REFUSE); nothing is forwarded.
 */

const HIGH_WATERMARK_WAIT_MS = REPLICATION_LIMITS.highWatermarkWaitMs.value;

export interface FrameFetchQuery {
  topic: string;
  partition: number;
  offset: number;
  maxRecords: number;
  maxBytes: number;
  /** Where records read from the files are laid out (see PartitionLog.readFrames); default fresh buffers. */
  memory?: (length: number) => Uint8Array;
  /**
   * The records are not counted as consumed (metrics) by the read: the result's count()
   * does it once they are served. For an adapter that reads ahead, or only looks.
   */
  uncounted?: boolean;
}

export interface FrameFetchResult {
  frames: StoredFrames;
  /** First offset still kept. */
  startOffset: number;
  /** What a consumer can read up to (Kafka's high watermark). */
  endOffset: number;
  /**
   * The topic's incarnation and the partition's leader epoch when read: the log a leader
   * serves is never rewritten below its high watermark while both stay the same (a new
   * epoch may truncate it, KIP-101), so frames read under one are still the log's then.
   */
  incarnation: string;
  /** Counts the records as consumed: done by the read unless the query said uncounted. */
  count(): void;
}

const COUNTED = (): void => undefined;

export async function fetchFrames(ctx: CoreContext, request: FrameFetchQuery): Promise<FrameFetchResult> {
  let state = ctx.catalog.topic(request.topic);
  let ps = ctx.catalog.partition(state, request.partition);
  // A leader still learning its high watermark would show it lower than consumers saw it.
  if (isHighWatermarkPending(ps)) {
    await awaitHighWatermark(ps, HIGH_WATERMARK_WAIT_MS, [state.lifetime.signal, ctx.lifetime]);
    state = ctx.catalog.topic(request.topic);
    ps = ctx.catalog.partition(state, request.partition);
  }
  const offset = assertOffset(request.offset);
  const maxRecords = Math.max(1, Math.min(request.maxRecords, FETCH_MAX_RECORDS_LIMIT));
  const maxBytes = Math.max(1, Math.min(request.maxBytes, FETCH_MAX_BYTES_LIMIT));
  routePartition(ctx.directory.self.id, ps.assignment.leader, ctx.brokerRef, request.topic, request.partition, REFUSE, isBrokerLive(ctx, ps.assignment.leader));
  const open = ctx.logs.useOpen(ps);
  if (open !== undefined) return read(ctx, state, ps, open, offset, maxRecords, maxBytes, request);
  assertNotLost(ctx, state, ps);
  const lease = await ctx.logs.leaseWritten(ps);
  if (lease === undefined) {
    // Never written: the empty log it is, without creating its folder.
    if (offset > 0) throw outOfRange(offset, 0, 0);
    return { frames: { firstOffset: offset, count: 0, runs: [], recordBytes: 0 }, startOffset: 0, endOffset: 0, incarnation: incarnationOf(state, ps), count: COUNTED };
  }
  try {
    return read(ctx, state, ps, lease.log, offset, maxRecords, maxBytes, request);
  } finally {
    lease.release();
  }
}

function read(
  ctx: CoreContext,
  state: TopicState,
  ps: PartitionState,
  log: PartitionLog,
  offset: number,
  maxRecords: number,
  maxBytes: number,
  request: FrameFetchQuery,
): FrameFetchResult {
  const started = performance.now();
  const frames = log.readFrames(offset, maxRecords, maxBytes, {}, request.memory);
  ctx.metrics.readLatency.record((performance.now() - started) / 1000);
  let counted = false;
  const count = (): void => {
    if (counted) return;
    counted = true;
    state.counters.consumed += frames.count;
    state.counters.bytesOut += frames.recordBytes;
  };
  if (request.uncounted !== true) count();
  return { frames, startOffset: log.startOffset, endOffset: visibleEnd(log), incarnation: incarnationOf(state, ps), count };
}

function incarnationOf(state: TopicState, ps: PartitionState): string {
  return `${state.meta.id}@${ps.assignment.leaderEpoch}`;
}
