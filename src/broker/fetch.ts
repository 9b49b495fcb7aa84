import { CORE_LIMITS } from "../config/core.ts";
import { REPLICATION_LIMITS } from "../config/replication.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import type { StoredRecord } from "../storage/types.ts";
import type { CoreContext } from "./core-context.ts";
import { recordBytes } from "./produce.ts";
import { awaitHighWatermark, isHighWatermarkPending } from "./high-watermark-pending.ts";
import { isBrokerLive } from "./leader-wait.ts";
import { assertNotLost } from "./lost-replicas.ts";
import { partitionName, routePartition, type RoutingPolicy } from "./partition-router.ts";
import { deliverToPartition, leaderDeadline } from "./produce-routing.ts";
import type { PartitionState, TopicState } from "./topic-catalog.ts";
import type { FetchQuery, FetchResult } from "./types.ts";
import { visibleEnd, waitForAppend } from "./wait-for-append.ts";

/** Fetch bounds (Kafka's fetch.max.bytes defaults to 50 MiB, max.partition.fetch.bytes to 1 MiB). */
export const DEFAULT_FETCH_MAX_RECORDS = CORE_LIMITS.fetchMaxRecordsDefault.value;
export const FETCH_MAX_RECORDS_LIMIT = CORE_LIMITS.fetchMaxRecords.value;
export const DEFAULT_FETCH_MAX_BYTES = CORE_LIMITS.fetchMaxBytesDefault.value;
export const FETCH_MAX_BYTES_LIMIT = CORE_LIMITS.fetchMaxBytes.value;
export const FETCH_TIMEOUT_LIMIT_MS = CORE_LIMITS.fetchTimeoutMs.value;
const HIGH_WATERMARK_WAIT_MS = REPLICATION_LIMITS.highWatermarkWaitMs.value;

/**
 * Records from `offset`, here or from the leader as the policy decides. With none there
 * and `timeoutMs`, waits for an append (a long poll, like Kafka's fetch.max.wait.ms). An
 * offset outside the log is OFFSET_OUT_OF_RANGE with the range in its details. Under a
 * policy that waits (HTTP), a read rides through an election as a produce does
 * (produce-routing.ts, bounded by --leader-wait-ms): it waits for the new leader, and a
 * leader that could not be reached is tried again, since a read changes nothing.
 */
export async function fetchRecords(ctx: CoreContext, request: FetchQuery, policy: RoutingPolicy): Promise<FetchResult> {
  const state = ctx.catalog.topic(request.topic);
  ctx.catalog.partition(state, request.partition);
  const offset = assertOffset(request.offset);
  const maxRecords = within("the most records of a fetch", request.maxRecords, DEFAULT_FETCH_MAX_RECORDS, 1, FETCH_MAX_RECORDS_LIMIT);
  const maxBytes = within("the most bytes of a fetch", request.maxBytes, DEFAULT_FETCH_MAX_BYTES, 1, FETCH_MAX_BYTES_LIMIT);
  const timeoutMs = within("the wait of a fetch", request.timeoutMs, 0, 0, FETCH_TIMEOUT_LIMIT_MS);
  const query = { ...request, offset, maxRecords, maxBytes, timeoutMs };
  return deliverToPartition(
    ctx,
    request.topic,
    request.partition,
    policy,
    leaderDeadline(ctx, policy),
    (ps, leader) => (leader ? ctx.peers.fetch(leader, query) : fetchHere(ctx, ctx.catalog.topic(request.topic), ps, query)),
    readRetriable,
  );
}

/**
 * A read that reached no leader, or one that is not the leader (any more): tried again.
 * Unlike a write, one whose connection broke after it was sent (a pooled connection to a
 * killed leader) changed nothing. One that used up its wait at the leader is reported.
 */
function readRetriable(error: unknown): boolean {
  if (!(error instanceof StreamNestError)) return false;
  if (error.code !== "LEADER_UNAVAILABLE" && error.code !== "NOT_LEADER_OR_FOLLOWER") return false;
  return (error.details as { timedOut?: unknown } | undefined)?.timedOut !== true;
}

type ReadQuery = FetchQuery & { offset: number; maxRecords: number; maxBytes: number; timeoutMs: number };

/** The read on this broker, its leader. */
async function fetchHere(ctx: CoreContext, state: TopicState, ps: PartitionState, request: ReadQuery): Promise<FetchResult> {
  const { offset, maxRecords, maxBytes, timeoutMs } = request;
  // A leader still learning its high watermark would show it lower than consumers saw it:
  // wait (briefly) for it first.
  if (isHighWatermarkPending(ps)) {
    await awaitHighWatermark(ps, HIGH_WATERMARK_WAIT_MS, [request.signal, state.lifetime.signal, ctx.lifetime]);
    // Leadership may have moved meanwhile: routed again (deliverToPartition).
    const now = ctx.catalog.partition(ctx.catalog.topic(request.topic), request.partition);
    if (now.assignment.leader !== ctx.directory.self.id)
      throw new StreamNestError("NOT_LEADER_OR_FOLLOWER", `${partitionName(request.topic, request.partition)} is led by broker ${now.assignment.leader} now`);
  }
  const counted = request.peek !== true;
  // An open log answers a read that does not wait in one synchronous step: nothing can
  // close it before the read returns, so no lease (and no promise) is needed.
  const open = ctx.logs.useOpen(ps);
  if (open !== undefined) {
    const records = read(ctx, state, open, offset, maxRecords, maxBytes, counted);
    if (records.length > 0 || timeoutMs === 0) return result(open, records, offset);
  }
  assertNotLost(ctx, state, ps);
  const written = await ctx.logs.leaseWritten(ps);
  if (!written) {
    // Never written: answered as the empty log it is, without creating its folder
    // (a scan of a 10,000-partition topic, or a refused read, must not write to disk).
    if (offset > 0) throw outOfRange(offset, 0, 0);
    if (timeoutMs === 0) return { records: [], nextOffset: offset, startOffset: 0, endOffset: 0 };
  }
  // Waiting needs the log to hear of appends; the lease keeps it open meanwhile.
  const lease = written ?? (await ctx.logs.lease(ps));
  try {
    const log = lease.log;
    let records = read(ctx, state, log, offset, maxRecords, maxBytes, counted);
    if (records.length === 0 && timeoutMs > 0) {
      ctx.metrics.waitingFetches.inc();
      try {
        await waitForAppend(log, offset, timeoutMs, [request.signal, state.lifetime.signal, ctx.lifetime]);
      } finally {
        ctx.metrics.waitingFetches.dec();
      }
      if (state.lifetime.signal.aborted) throw topicGone(state.meta.name);
      if (!ctx.lifetime.aborted && visibleEnd(log) > offset) records = read(ctx, state, log, offset, maxRecords, maxBytes, counted);
    }
    return result(log, records, offset);
  } finally {
    lease.release();
  }
}

/**
 * fetchRecords' answer when it can be given in this synchronous step: a read that does
 * not wait, of a partition led here whose log is open and whose high watermark is
 * settled. Undefined when fetchRecords must make it (it routes to the leader, waits, or
 * opens the log). The same checks in the same order, so what this throws is what
 * fetchRecords would reject with; no promise on the hot read path of GET /consume.
 */
export function fetchNow(ctx: CoreContext, request: FetchQuery, policy: RoutingPolicy): FetchResult | undefined {
  const state = ctx.catalog.topic(request.topic);
  const ps = ctx.catalog.partition(state, request.partition);
  if (isHighWatermarkPending(ps)) return undefined;
  const offset = assertOffset(request.offset);
  const maxRecords = within("the most records of a fetch", request.maxRecords, DEFAULT_FETCH_MAX_RECORDS, 1, FETCH_MAX_RECORDS_LIMIT);
  const maxBytes = within("the most bytes of a fetch", request.maxBytes, DEFAULT_FETCH_MAX_BYTES, 1, FETCH_MAX_BYTES_LIMIT);
  const timeoutMs = within("the wait of a fetch", request.timeoutMs, 0, 0, FETCH_TIMEOUT_LIMIT_MS);
  if (timeoutMs !== 0) return undefined;
  const leader = routePartition(ctx.directory.self.id, ps.assignment.leader, ctx.brokerRef, request.topic, request.partition, policy, isBrokerLive(ctx, ps.assignment.leader));
  if (leader) return undefined;
  const open = ctx.logs.useOpen(ps);
  if (open === undefined) return undefined;
  return result(open, read(ctx, state, open, offset, maxRecords, maxBytes, request.peek !== true), offset);
}

function result(log: PartitionLog, records: StoredRecord[], offset: number): FetchResult {
  return {
    records,
    nextOffset: records.length > 0 ? records[records.length - 1].offset + 1 : offset,
    startOffset: log.startOffset,
    // What a consumer can read up to (Kafka's high watermark for a replicated partition).
    endOffset: visibleEnd(log),
  };
}

function read(
  ctx: CoreContext,
  state: TopicState,
  log: PartitionLog,
  offset: number,
  maxRecords: number,
  maxBytes: number,
  counted: boolean,
): StoredRecord[] {
  const started = performance.now();
  const records = log.read(offset, maxRecords, maxBytes);
  ctx.metrics.readLatency.record((performance.now() - started) / 1000);
  if (counted && records.length > 0) countConsumed(state, records);
  return records;
}

/** Records handed to a consumer: the topic's consumed counters. */
export function countConsumed(state: TopicState, records: readonly StoredRecord[]): void {
  let bytes = 0;
  for (const r of records) bytes += recordBytes(r);
  state.counters.consumed += records.length;
  state.counters.bytesOut += bytes;
}

export function outOfRange(offset: number, startOffset: number, endOffset: number): StreamNestError {
  return new StreamNestError("OFFSET_OUT_OF_RANGE", `offset ${offset} is outside the partition's range [${startOffset}, ${endOffset}]`, {
    startOffset,
    endOffset,
  });
}

export function topicGone(topic: string): StreamNestError {
  return new StreamNestError("TOPIC_NOT_FOUND", `topic "${topic}" was deleted`);
}

export function assertOffset(offset: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new StreamNestError("INVALID_OFFSET", `offset must be a non-negative integer, got ${String(offset)}`);
  return offset;
}

function within(what: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new StreamNestError("INVALID_REQUEST", `${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
}
