import { REFUSE } from "../../broker/partition-router.ts";
import { isInternalTopic } from "../../broker/topic-catalog.ts";
import { type Acks, isProduceFailure, type ProduceRecord } from "../../broker/types.ts";
import { StreamNestError } from "../../lib/errors.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { type FramedBatch, batchToFrames, storableTimestamp } from "../batch-to-frames.ts";
import { decodeRecordBatches, KAFKA_ERROR, type RecordBatch } from "../protocol/index.ts";
import { protocolError } from "../protocol/error-codes.ts";
import { forEachBatch } from "../protocol/record-batch.ts";
import { requireTopic } from "../authorization.ts";
import type { ConnectionInfo } from "../context.ts";
import { autoCreate } from "./auto-create.ts";
import { KAFKA_BUFFERS } from "../buffer-pool.ts";
import type { GateTicket } from "../decompressed-gate.ts";
import { KAFKA_LIMITS } from "../../config/kafka.ts";

/** Whether a partition of the request went record by record (its records are views of the request's bytes). */
interface FrameUse {
  recordByRecord: boolean;
}

type PartitionAnswer = {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
};

/**
 * Produce: each partition's record batches (v2, any codec) are checked whole — a record
 * the topic's schema refuses fails its batch with INVALID_RECORD naming the record and
 * the reason, and nothing of the batch is written — then appended here, refused with
 * NOT_LEADER_OR_FOLLOWER when another broker leads, or LEADER_NOT_AVAILABLE when the
 * leader is down (or this broker is still taking up leadership): either way the client
 * refreshes its metadata and retries, as Kafka's producer does. acks=0 gets no answer;
 * acks=-1 (all) is answered once every in-sync replica holds the batch, acks=1 once the
 * leader wrote it.
 */
export async function handleProduce(ctx: KafkaContext, { body, conn, signals }: Call<"Produce">) {
  const acks = body.acks;
  const frameUse: FrameUse = { recordByRecord: false };
  const partitions = body.topicData.reduce((n, t) => n + t.partitionData.length, 0);
  const progress = new AppendProgress(acks === -1 ? partitions : 0, () => {
    signals?.frameDone();
    signals?.appended();
  });
  const answers = await Promise.all(
    body.topicData.map(async (topic) => ({
      name: topic.name,
      partitionResponses: await produceTopic(ctx, conn, topic.name, topic.partitionData, acks, frameUse, progress),
    })),
  );
  // The framed path copied every key, value and header out of the request; the record
  // by record one hands views of it to the core, which are not followed here.
  if (!frameUse.recordByRecord && !progress.released) signals?.frameDone();
  if (acks === 0) {
    // As Kafka's KafkaApis.handleProduceRequest: a failed acks=0 produce closes the
    // connection, the only way to tell a client that reads no answer to refresh its
    // metadata (a moved leader, a missing partition) instead of writing into the void.
    const failed = answers.flatMap((t) => t.partitionResponses.filter((p) => p.errorCode !== KAFKA_ERROR.NONE).map((p) => `${t.name}[${p.index}] error ${p.errorCode}`));
    if (failed.length > 0) conn.endAfterAnswer(`an acks=0 Produce failed (${failed.slice(0, 3).join(", ")}${failed.length > 3 ? ", …" : ""})`);
    return null;
  }
  return { responses: answers, throttleTimeMs: 0 };
}

type ReportKind = "appended" | "done" | "ineligible";
type Report = (kind: ReportKind) => void;

/**
 * Whether every partition of an acks=all Produce has its records appended and only
 * waits for replicas, so the connection may take its next request (see connection.ts):
 * each partition reports once, "appended" or "done" (answered, or not eligible: records
 * checked one by one, whose views of the request stay in use). An idempotent producer's
 * batch is eligible: its sequence state is recorded on the append, so the next request's
 * batch is checked against it (see ProducerStates.written). `release`
 * runs when the last one reports, if none was ineligible and one is waiting.
 */
class AppendProgress {
  released = false;
  private appended = 0;
  private ineligible = false;

  constructor(
    private remaining: number,
    private readonly release: () => void,
  ) {}

  report(kind: ReportKind): void {
    if (this.remaining === 0) return;
    if (kind === "appended") this.appended++;
    if (kind === "ineligible") this.ineligible = true;
    if (--this.remaining > 0 || this.ineligible || this.appended === 0) return;
    this.released = true;
    this.release();
  }

  /** A reporter for one partition: its first report counts, later ones are ignored. */
  forPartition(): Report {
    let reported = false;
    return (kind) => {
      if (reported) return;
      reported = true;
      this.report(kind);
    };
  }
}

async function produceTopic(
  ctx: KafkaContext,
  conn: ConnectionInfo,
  topic: string,
  partitions: { index: number; records: Uint8Array | null }[],
  acks: number,
  frameUse: FrameUse,
  progress: AppendProgress,
): Promise<PartitionAnswer[]> {
  const reporters = partitions.map(() => progress.forPartition());
  try {
    if (acks !== 0 && acks !== 1 && acks !== -1)
      return partitions.map((p) => refused(p.index, KAFKA_ERROR.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1 (all), not ${acks}`));
    try {
      // Kafka checks WRITE before the topic's existence: a refused client learns nothing of it.
      requireTopic(ctx, conn, "WRITE", topic);
      // As Kafka's ReplicaManager: appending to an internal topic is INVALID_TOPIC_EXCEPTION
      // (not retriable); another name beginning with "__" is an ordinary topic.
      if (isInternalTopic(topic))
        throw protocolError("INVALID_REQUEST", "INVALID_TOPIC_EXCEPTION", `cannot append to internal topic ${topic}; commit offsets through the consumer group`);
      if (ctx.options.autoCreateTopics) await autoCreate(ctx, conn, topic);
      ctx.broker.assertTopic(topic);
    } catch (error) {
      return partitions.map((p) => refused(p.index, kafkaErrorCode(error), errorMessage(error)));
    }
    const core: Acks = acks === -1 ? "all" : acks === 1 ? "1" : "0";
    return await Promise.all(
      partitions.map(async (p, i) => {
        const answer = await producePartition(ctx, { topic, partition: p.index, data: p.records, acks: core, frameUse, report: reporters[i] });
        reporters[i]("done");
        return answer;
      }),
    );
  } finally {
    // Partitions refused with their topic, before any append, report here.
    for (const report of reporters) report("done");
  }
}

/** One partition's records of a Produce request. */
interface PartitionProduce {
  topic: string;
  partition: number;
  data: Uint8Array | null;
  acks: Acks;
  frameUse: FrameUse;
  report: Report;
}

async function producePartition(ctx: KafkaContext, produce: PartitionProduce): Promise<PartitionAnswer> {
  // Decompressed records are held within a bound across connections (decompressed-gate.ts).
  const ticket = await ctx.decompressed.enter();
  try {
    return await decompressAndAppend(ctx, produce, ticket);
  } finally {
    ticket.release();
  }
}

async function decompressAndAppend(ctx: KafkaContext, { topic, partition, data, acks, frameUse, report }: PartitionProduce, ticket: GateTicket): Promise<PartitionAnswer> {
  let framed: [FramedBatch];
  try {
    ctx.broker.assertPartition(topic, partition);
    // Every batch is checked whole before any is written; storage frames come straight from it.
    const now = Date.now();
    const options = { maxDecompressedBytes: maxDecompressedBytes(ctx) };
    const batches: Uint8Array[] = [];
    forEachBatch(data ?? new Uint8Array(0), false, (batch) => batches.push(batch));
    const shape = batchShapeProblem(batches.length);
    if (shape !== undefined) return refused(partition, KAFKA_ERROR.INVALID_RECORD, shape);
    framed = [batchToFrames(batches[0], now, options, KAFKA_BUFFERS)];
    ticket.hold(framed[0].frames.frames.byteLength);
    const range = offsetRangeProblem(framed[0].header);
    if (range !== undefined) return refused(partition, KAFKA_ERROR.INVALID_RECORD, range);
  } catch (error) {
    return refused(partition, corruptionCode(error), errorMessage(error));
  }
  let recordByRecord: boolean;
  try {
    // A schema or an oversized record: record by record, so each refused one is named.
    recordByRecord = framed.some((f) => ctx.broker.needsRecordChecks(topic, f.frames.maxRecordBytes));
  } catch (error) {
    return refused(partition, kafkaErrorCode(error), errorMessage(error));
  }
  if (recordByRecord) report("ineligible");
  if (recordByRecord) {
    frameUse.recordByRecord = true;
    return produceRecordByRecord(ctx, topic, partition, data ?? new Uint8Array(0), acks);
  }
  return appendFramed(ctx, topic, partition, framed[0], acks, () => report("appended"));
}

/**
 * Exactly one record batch per partition, as Kafka's ProduceRequest.validateRecords
 * demands from v3 on (the only versions served): a partition's records are then written
 * all or nothing. Two batches were once appended one by one, so a refusal of the second
 * (a sequence gap, a transactional flag) left the first written under an error answer,
 * and a client retrying it wrote it twice.
 */
function batchShapeProblem(count: number): string | undefined {
  if (count === 1) return undefined;
  return count === 0
    ? "a Produce request must have a record batch for each partition it names"
    : `a Produce request may carry exactly one record batch per partition, not ${count}`;
}

/** A batch's offset range must match its record count (Kafka's LogValidator): what the producer counted is what is written. */
function offsetRangeProblem(header: { lastOffsetDelta: number; recordCount: number }): string | undefined {
  if (header.recordCount === 0) return "a record batch must hold at least one record";
  if (header.lastOffsetDelta === header.recordCount - 1) return undefined;
  return `inconsistent batch: its offsets span ${header.lastOffsetDelta + 1} (lastOffsetDelta ${header.lastOffsetDelta}) but it holds ${header.recordCount} record${header.recordCount === 1 ? "" : "s"}`;
}

/** What one batch may decompress to: within the request's own limit and KAFKA_LIMITS.maxBatchDecompressedBytes. */
function maxDecompressedBytes(ctx: KafkaContext): number {
  return Math.min(ctx.options.maxRequestBytes, KAFKA_LIMITS.maxBatchDecompressedBytes.value);
}

/** A batch the decoder refuses is CORRUPT_MESSAGE, as Kafka answers a batch it cannot read. */
function corruptionCode(error: unknown): number {
  return error instanceof StreamNestError && error.code === "INVALID_REQUEST" && kafkaErrorCode(error) === KAFKA_ERROR.INVALID_REQUEST
    ? KAFKA_ERROR.CORRUPT_MESSAGE
    : kafkaErrorCode(error);
}

async function produceRecordByRecord(ctx: KafkaContext, topic: string, partition: number, data: Uint8Array, acks: Acks): Promise<PartitionAnswer> {
  let batches: RecordBatch[];
  try {
    batches = decodeRecordBatches(data, { maxDecompressedBytes: maxDecompressedBytes(ctx) });
  } catch (error) {
    return refused(partition, corruptionCode(error), errorMessage(error));
  }
  let first: bigint | undefined;
  for (const batch of batches) {
    const answer = await appendBatch(ctx, topic, partition, batch, acks);
    if (answer.errorCode !== KAFKA_ERROR.NONE) return answer;
    first ??= answer.baseOffset;
  }
  return { ...refused(partition, KAFKA_ERROR.NONE, null), baseOffset: first ?? -1n };
}

type BatchFields = Pick<RecordBatch, "isTransactional" | "isControl" | "producerId" | "producerEpoch" | "baseSequence">;

/**
 * Idempotence (KIP-98): a duplicate's first offset, or a refusal, or undefined to go on
 * and write (with the leader epoch the sequences are kept in). Leadership is checked
 * first: a broker that no longer leads the partition answers NOT_LEADER_OR_FOLLOWER (the
 * producer refreshes its metadata), never a sequence error from what it held before.
 */
function sequenceAnswer(ctx: KafkaContext, topic: string, partition: number, batch: BatchFields, acks: Acks): Promise<PartitionAnswer> | { leaderEpoch: number } | undefined {
  if (batch.isTransactional || batch.isControl)
    return Promise.resolve(refused(partition, KAFKA_ERROR.INVALID_REQUEST, "transactions are not supported by StreamNest"));
  if (batch.producerId < 0n) return undefined;
  let leaderEpoch: number;
  try {
    leaderEpoch = ctx.broker.leaderEpochHere(topic, partition);
  } catch (error) {
    return Promise.resolve(refused(partition, kafkaErrorCode(error), errorMessage(error)));
  }
  const seen = ctx.producers.check(batch.producerId, batch.producerEpoch, topic, partition, batch.baseSequence, leaderEpoch);
  if (seen.kind === "duplicate") return duplicateAnswer(ctx, topic, partition, seen, leaderEpoch, acks);
  if (seen.kind === "out-of-order")
    return Promise.resolve(refused(partition, KAFKA_ERROR.OUT_OF_ORDER_SEQUENCE_NUMBER, `expected sequence ${seen.expected}, got ${batch.baseSequence}`));
  if (seen.kind === "fenced")
    return Promise.resolve(refused(partition, KAFKA_ERROR.INVALID_PRODUCER_EPOCH, `producer epoch ${batch.producerEpoch} is older than ${seen.currentEpoch}`));
  return { leaderEpoch };
}

/**
 * A retried batch already in the log: answered with the offset it was first written at
 * (the client counts DUPLICATE_SEQUENCE_NUMBER as success; NONE with the offset is what
 * brokers since 2.x send), once it is acknowledged as acks asks. Its first attempt may
 * have timed out waiting for replicas: the retry is then answered as that wait would
 * have been, never before the in-sync replicas hold it (and NOT_ENOUGH_REPLICAS while
 * they are too few), as Kafka's DelayedProduce answers a duplicate.
 */
async function duplicateAnswer(
  ctx: KafkaContext,
  topic: string,
  partition: number,
  seen: { baseOffset: number; lastOffset: number },
  leaderEpoch: number,
  acks: Acks,
): Promise<PartitionAnswer> {
  try {
    await ctx.broker.awaitWritten(topic, partition, seen.lastOffset, leaderEpoch, acks);
  } catch (error) {
    return refused(partition, kafkaErrorCode(error), errorMessage(error));
  }
  return { ...refused(partition, KAFKA_ERROR.NONE, null), baseOffset: BigInt(seen.baseOffset) };
}

function isAnswer(early: Promise<PartitionAnswer> | { leaderEpoch: number } | undefined): early is Promise<PartitionAnswer> {
  return early instanceof Promise;
}

/** One batch, already frames, in one append (the common case: no schema, no oversized record). */
async function appendFramed(
  ctx: KafkaContext,
  topic: string,
  partition: number,
  { header, frames }: FramedBatch,
  acks: Acks,
  appended?: () => void,
): Promise<PartitionAnswer> {
  const early = sequenceAnswer(ctx, topic, partition, header, acks);
  if (isAnswer(early)) return early;
  // The producer's state moves on the append, before replicas confirm (see ProducerStates.written).
  const onAppended = (base: number): void => {
    if (early !== undefined) ctx.producers.written(header.producerId, header.producerEpoch, topic, partition, header.baseSequence, frames.count, base, early.leaderEpoch);
    appended?.();
  };
  let base: number;
  try {
    base = await ctx.broker.produceFrames(topic, partition, frames, acks, onAppended);
  } catch (error) {
    return refused(partition, kafkaErrorCode(error), errorMessage(error));
  }
  return { ...refused(partition, KAFKA_ERROR.NONE, null), baseOffset: BigInt(base) };
}

async function appendBatch(ctx: KafkaContext, topic: string, partition: number, batch: RecordBatch, acks: Acks): Promise<PartitionAnswer> {
  const early = sequenceAnswer(ctx, topic, partition, batch, acks);
  if (isAnswer(early)) return early;
  const now = Date.now();
  let records: ProduceRecord[];
  try {
    records = batch.records.map((r, i) => ({
      key: r.key,
      // A tombstone (null value) stays null: stored and served as no value, not as empty.
      value: r.value,
      headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
      partition,
      timestamp: batch.timestampType === 1 || r.timestamp < 0n ? now : storableTimestamp(Number(r.timestamp), i),
      acks,
    }));
  } catch (error) {
    return refused(partition, kafkaErrorCode(error), errorMessage(error));
  }
  const problems = ctx.broker.checkRecords(topic, records);
  const recordErrors = problems.flatMap((p, i) => (p ? [{ batchIndex: i, batchIndexErrorMessage: p.message }] : []));
  if (recordErrors.length > 0) {
    const firstProblem = problems.find((p) => p !== undefined);
    const code = firstProblem?.error === "MESSAGE_TOO_LARGE" ? KAFKA_ERROR.MESSAGE_TOO_LARGE : KAFKA_ERROR.INVALID_RECORD;
    return { ...refused(partition, code, firstProblem?.message ?? null), recordErrors };
  }
  let outcomes;
  try {
    outcomes = await ctx.broker.produceBatch(topic, records, REFUSE);
  } catch (error) {
    return refused(partition, kafkaErrorCode(error), errorMessage(error));
  }
  const failed = outcomes.find(isProduceFailure);
  if (failed) return refused(partition, kafkaErrorCode(new StreamNestError(failed.error, failed.message, failed.details)), failed.message);
  const base = outcomes[0] && !isProduceFailure(outcomes[0]) ? outcomes[0].offset : -1;
  if (early !== undefined) ctx.producers.written(batch.producerId, batch.producerEpoch, topic, partition, batch.baseSequence, records.length, base, early.leaderEpoch);
  return { ...refused(partition, KAFKA_ERROR.NONE, null), baseOffset: BigInt(base) };
}

function refused(index: number, errorCode: number, message: string | null): PartitionAnswer {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: message };
}
