import { FETCH_MAX_BYTES_LIMIT, FETCH_MAX_RECORDS_LIMIT } from "../../broker/fetch.ts";
import { REFUSE } from "../../broker/partition-router.ts";
import { KAFKA_LIMITS } from "../../config/kafka.ts";
import { topicResource } from "../../auth/acl.ts";
import { isAllowed, refusal } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { checkCurrentLeaderEpoch } from "./current-leader-epoch.ts";
import { knownIsolationLevel } from "./isolation-level.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { planBatch } from "../frames-to-batch.ts";
import { ReadMemory } from "../buffer-pool.ts";
import { readAhead, takeAhead } from "../fetch-ahead.ts";
import type { ConnectionInfo } from "../context.ts";
import type { BytesWriter } from "../protocol/schema.ts";

interface Wanted {
  topic: string;
  partition: number;
  offset: number;
  maxBytes: number;
  /** The leader epoch the client knows (KIP-320), -1 for none. */
  currentLeaderEpoch: number;
}

/** A partition's answer: its records as one batch (written into the response as it is encoded), and the log's range. */
interface PartitionRead {
  records: BytesWriter;
  startOffset: number;
  endOffset: number;
}

type Read = { ok: PartitionRead } | { error: unknown };

/**
 * Fetch: each partition read from its offset up to its byte limit and the request's;
 * with fewer than minBytes in the answer, a long poll until any asked partition gets an
 * append or maxWaitMs passes (Kafka's fetch.min.bytes / fetch.max.wait.ms). Fetch
 * sessions (KIP-227) are declined cleanly: the answer's session id is 0, so clients send
 * full fetch requests every time.
 */
export async function handleFetch(ctx: KafkaContext, { body, conn }: Call<"Fetch">) {
  // Epoch 0 (a new session) or -1 (the final one) is a full fetch, answered sessionless
  // whatever the id; only an incremental fetch (epoch > 0) needs a session, and none is kept.
  if (body.sessionEpoch > 0) return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
  if (!knownIsolationLevel(body.isolationLevel)) {
    // Every partition says it too: v4 to v6 answers carry no top-level error code.
    const unknown: Read = { error: new StreamNestError("INVALID_REQUEST", `unknown isolation level ${body.isolationLevel} (0: read_uncommitted, 1: read_committed)`) };
    const responses = body.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => answer(p.partition, unknown)) }));
    return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.INVALID_REQUEST, sessionId: 0, responses };
  }
  const wanted: Wanted[] = body.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.fetchOffset), maxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch })),
  );
  // READ per topic, checked before anything is read (Kafka: TOPIC_AUTHORIZATION_FAILED per partition).
  const refused = new Map<string, Read>();
  for (const t of new Set(wanted.map((w) => w.topic)))
    if (!isAllowed(ctx, conn, "READ", topicResource(t))) refused.set(t, { error: refusal(conn, "READ", topicResource(t)) });
  // Each (topic, partition) is read once, where the request first names it; a repeat
  // (no client sends one) is answered with no records, as Kafka folds repeats into one
  // entry: its batch is written into the answer once, and the byte budget spent once.
  const seen = new Set<string>();
  const readable = wanted.filter((w) => {
    const key = `${w.topic}\u0000${w.partition}`;
    if (refused.has(w.topic) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  let readsOf = await readAll(ctx, conn, readable, body.maxBytes);
  const bytes = readsOf.reduce((n, r) => n + ("ok" in r ? r.ok.records.byteLength : 0), 0);
  const waitMs = Math.min(body.maxWaitMs, KAFKA_LIMITS.maxFetchWaitMs.value);
  if (bytes === 0 && body.minBytes > 0 && waitMs > 0 && readsOf.some((r) => "ok" in r)) {
    await waitForAny(ctx, readable, readsOf, waitMs, conn.closed);
    readsOf = await readAll(ctx, conn, readable, body.maxBytes);
  }
  const reads = readsOf;
  // Each (topic, partition)'s read, by key: a findIndex per partition was quadratic
  // (a request of 100,000 partitions held the event loop for seconds).
  const readAt = new Map<string, number>();
  readable.forEach((w, i) => readAt.set(`${w.topic}\u0000${w.partition}`, i));
  const answered = new Set<string>();
  const responses = body.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const key = `${t.topic}\u0000${p.partition}`;
      const read = refused.get(t.topic) ?? (reads[readAt.get(key) ?? -1] as Read);
      const repeat = answered.has(key);
      answered.add(key);
      return repeat && "ok" in read ? { ...answer(p.partition, read), records: new Uint8Array(0) } : answer(p.partition, read);
    }),
  }));
  return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE, sessionId: 0, responses };
}

function answer(partition: number, read: Read) {
  if ("error" in read) {
    const range = (read.error as { details?: { startOffset?: number; endOffset?: number } }).details;
    return {
      partitionIndex: partition,
      errorCode: kafkaErrorCode(read.error),
      highWatermark: BigInt(range?.endOffset ?? -1),
      lastStableOffset: BigInt(range?.endOffset ?? -1),
      logStartOffset: BigInt(range?.startOffset ?? -1),
      abortedTransactions: null,
      // Empty, never null: Kafka answers an error with MemoryRecords.EMPTY, and librdkafka
      // refuses a null record set ("invalid MessageSetSize -1").
      records: new Uint8Array(0),
    };
  }
  const { records, startOffset, endOffset } = read.ok;
  return {
    partitionIndex: partition,
    errorCode: KAFKA_ERROR.NONE,
    highWatermark: BigInt(endOffset),
    // No transactions: every written record is stable.
    lastStableOffset: BigInt(endOffset),
    logStartOffset: BigInt(startOffset),
    abortedTransactions: null,
    records,
  };
}

/**
 * One read per partition, in order, within the request's total byte budget (KIP-74):
 * only the first partition that returns records may exceed it, by its first record, so
 * that a consumer always progresses; every later partition gets the records that fit in
 * what is left, possibly none. (librdkafka sizes its receive buffer from fetch.max.bytes
 * and drops the connection on a larger answer; conformance 0082.) Each partition's
 * records are read as stored frames and planned as a batch, which the response's
 * encoder writes in place. A Fetch of one partition may find its records read ahead
 * (fetch-ahead.ts), and has the next ones read ahead when more are there.
 */
async function readAll(ctx: KafkaContext, conn: ConnectionInfo, wanted: Wanted[], maxBytes: number): Promise<Read[]> {
  const out: Read[] = [];
  let budget = maxBytes > 0 ? maxBytes : 0x7fffffff;
  let first = true;
  const single = wanted.length === 1;
  for (const w of wanted) {
    try {
      checkCurrentLeaderEpoch(ctx, w.topic, w.partition, w.currentLeaderEpoch);
      const query = { topic: w.topic, partition: w.partition, offset: w.offset, maxBytes: Math.max(1, Math.min(w.maxBytes, budget, FETCH_MAX_BYTES_LIMIT)) };
      const ahead = single ? await takeAhead(ctx, conn, query) : undefined;
      const memory = ahead?.memory ?? new ReadMemory();
      const got = ahead?.read ?? (await ctx.broker.fetchFrames({ ...query, maxRecords: FETCH_MAX_RECORDS_LIMIT, memory: memory.take }));
      // The buffers the read took go back to the pool once the answer holds the batch.
      const batch = planBatch(got.frames, budget, first, () => memory.giveBack());
      if (batch.count > 0) {
        first = false;
        budget -= batch.byteLength;
        const next = w.offset + batch.count;
        if (single && next < got.endOffset) readAhead(ctx, conn, { ...query, offset: next });
      }
      out.push({ ok: { records: batch, startOffset: got.startOffset, endOffset: got.endOffset } });
    } catch (error) {
      out.push({ error });
    }
  }
  return out;
}

/** Waits until one of the readable partitions gets an append, the wait ends or the client goes. */
async function waitForAny(ctx: KafkaContext, wanted: Wanted[], reads: Read[], waitMs: number, closed: AbortSignal): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, closed, ctx.lifetime]);
  const waits = wanted
    .filter((_, i) => "ok" in reads[i])
    .map((w) =>
      ctx.broker
        .fetch({ topic: w.topic, partition: w.partition, offset: w.offset, maxRecords: 1, maxBytes: 1, timeoutMs: waitMs, signal, peek: true }, REFUSE)
        .catch(() => undefined),
    );
  try {
    await Promise.race([...waits, new Promise<void>((r) => setTimeout(r, waitMs))]);
  } finally {
    stop.abort();
  }
}
