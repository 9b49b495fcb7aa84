import { StreamNestError } from "../lib/errors.ts";
import { partitionForKey } from "../lib/murmur2.ts";
import type { RecordInput } from "../storage/types.ts";
import type { CoreContext } from "./core-context.ts";
import { routePartition, type RoutingPolicy } from "./partition-router.ts";
import { assertEnoughReplicas, awaitReplication, leaderEpochFor } from "./produce-acks.ts";
import { isInternalTopic, type TopicState } from "./topic-catalog.ts";
import type { ProduceAck, ProduceFailure, ProduceOutcome, ProduceRecord } from "./types.ts";

/**
 * Produce: a record is checked (size, the topic's schema), given its partition
 * (explicit, else murmur2 of the key, else round-robin) and appended to the
 * partition's log here, or routed to the leader by the caller's policy.
 */

/** The records of one batch bound for one partition. */
interface BatchGroup {
  indexes: number[];
  records: RecordInput[];
  inputs: ProduceRecord[];
}

const textOf = new TextDecoder("utf-8", { ignoreBOM: true });

/** One record; throws the reason when it is refused. */
export async function produce(ctx: CoreContext, topic: string, input: ProduceRecord, policy: RoutingPolicy): Promise<ProduceAck> {
  assertRunning(ctx);
  const state = ctx.catalog.topic(topic);
  assertWritable(state.meta.name);
  const record = toRecord(ctx, state, input, Date.now());
  const partition = choosePartition(state, input, record);
  const ps = state.partitions[partition];
  const leader = routePartition(ctx.directory.self.id, ps.assignment.leader, ctx.brokerRef, topic, partition, policy);
  if (leader) {
    const [outcome] = await ctx.peers.produce(leader, state.meta.name, partition, [input]);
    if ("error" in outcome) throw new StreamNestError(outcome.error, outcome.message, outcome.details);
    return outcome;
  }
  assertEnoughReplicas(state, ps, input.acks);
  const started = performance.now();
  const lease = await ctx.logs.lease(ps);
  let baseOffset: number;
  try {
    const epoch = leaderEpochFor(ps, lease.log);
    ({ baseOffset } = await lease.log.append([record]));
    await awaitReplication(ctx, state, ps, lease.log, baseOffset, epoch, input.acks);
  } finally {
    lease.release();
  }
  ctx.metrics.produceLatency.record((performance.now() - started) / 1000);
  state.counters.produced++;
  state.counters.bytesIn += recordBytes(record);
  return { partition, offset: baseOffset };
}

/**
 * A batch: each record is checked on its own (a refused one gets its error, the others
 * go on), then one append per partition. Outcomes come back in order.
 */
export async function produceBatch(
  ctx: CoreContext,
  topic: string,
  inputs: readonly ProduceRecord[],
  policy: RoutingPolicy,
): Promise<ProduceOutcome[]> {
  assertRunning(ctx);
  const state = ctx.catalog.topic(topic);
  assertWritable(state.meta.name);
  if (!Array.isArray(inputs) || inputs.length === 0) throw new StreamNestError("INVALID_REQUEST", "a batch needs at least one record");
  const outcomes: ProduceOutcome[] = new Array(inputs.length);
  const groups = new Map<number, BatchGroup>();
  const now = Date.now();
  for (let i = 0; i < inputs.length; i++) {
    try {
      const record = toRecord(ctx, state, inputs[i], now);
      const partition = choosePartition(state, inputs[i], record);
      let group = groups.get(partition);
      if (!group) groups.set(partition, (group = { indexes: [], records: [], inputs: [] }));
      group.indexes.push(i);
      group.records.push(record);
      group.inputs.push(inputs[i]);
    } catch (error) {
      outcomes[i] = failure(error);
    }
  }
  const self = ctx.directory.self.id;
  const run = async ([partition, group]: [number, BatchGroup]): Promise<void> => {
    const ps = state.partitions[partition];
    try {
      const leader = routePartition(self, ps.assignment.leader, ctx.brokerRef, topic, partition, policy);
      if (leader) {
        const forwarded = await ctx.peers.produce(leader, state.meta.name, partition, group.inputs);
        group.indexes.forEach((index, j) => (outcomes[index] = forwarded[j]));
        return;
      }
      const acks = group.inputs[0].acks;
      assertEnoughReplicas(state, ps, acks);
      const started = performance.now();
      const lease = await ctx.logs.lease(ps);
      let baseOffset: number;
      try {
        const epoch = leaderEpochFor(ps, lease.log);
        ({ baseOffset } = await lease.log.append(group.records));
        await awaitReplication(ctx, state, ps, lease.log, baseOffset + group.records.length - 1, epoch, acks);
      } finally {
        lease.release();
      }
      ctx.metrics.produceLatency.record((performance.now() - started) / 1000);
      let bytes = 0;
      for (const r of group.records) bytes += recordBytes(r);
      state.counters.produced += group.records.length;
      state.counters.bytesIn += bytes;
      group.indexes.forEach((index, j) => (outcomes[index] = { partition, offset: baseOffset + j }));
    } catch (error) {
      const outcome = failure(error);
      for (const index of group.indexes) outcomes[index] = outcome;
    }
  };
  const local = [...groups].filter(([partition]) => state.partitions[partition].assignment.leader === self);
  const remote = [...groups].filter(([partition]) => state.partitions[partition].assignment.leader !== self);
  // A batch spread over thousands of partitions (round-robin over a large topic) holds
  // every log it appends to until written: in waves of the open-log limit, not all at once.
  const limit = ctx.logs.limit;
  const waves = async (): Promise<void> => {
    for (let i = 0; i < local.length; i += limit) await Promise.all(local.slice(i, i + limit).map(run));
  };
  await Promise.all([...remote.map(run), waves()]);
  return outcomes;
}

/**
 * The checks produce runs on each record (shape, size, the topic's schema), without
 * writing: a failure per refused record, undefined for one that would be taken. For
 * an adapter whose protocol refuses a batch whole (Kafka's INVALID_RECORD).
 */
export function checkRecords(ctx: CoreContext, topic: string, inputs: readonly ProduceRecord[]): (ProduceFailure | undefined)[] {
  const state = ctx.catalog.topic(topic);
  const now = Date.now();
  return inputs.map((input) => {
    try {
      toRecord(ctx, state, input, now);
      return undefined;
    } catch (error) {
      return failure(error) as ProduceFailure;
    }
  });
}

/**
 * The log record of one produced record, or the reason it is refused. Checks run
 * cheapest first; the schema (JSON parse + ajv) runs last. The shape of the record is
 * the adapter's to guarantee; it is asserted here, not explained.
 */
function toRecord(ctx: CoreContext, state: TopicState, input: ProduceRecord, timestamp: number): RecordInput {
  assertRecordShape(input);
  const { key, value, headers } = input;
  const size = recordBytes(input);
  const max = ctx.config.maxMessageBytes;
  if (size > max)
    throw new StreamNestError("MESSAGE_TOO_LARGE", `the message takes ${size} bytes (value, key and headers); the limit is ${max}`);
  const schema = ctx.schemas.latest(state.meta.schemas);
  schema?.check(textOf.decode(value), state.meta.name);
  return { key, value, headers, timestamp: input.timestamp ?? timestamp };
}

/** The invariants of a record handed to the core (an adapter checked its client's input). */
export function assertRecordShape(input: ProduceRecord): void {
  if (
    typeof input !== "object" ||
    input === null ||
    !(input.value instanceof Uint8Array) ||
    (input.key !== null && !(input.key instanceof Uint8Array)) ||
    !Array.isArray(input.headers) ||
    (input.partition !== undefined && !Number.isInteger(input.partition))
  )
    throw new StreamNestError(
      "INVALID_REQUEST",
      "a produced record needs its value as bytes, its key as bytes or null, headers as a list and an integer partition if any",
    );
}

/** Explicit partition, else Kafka's murmur2 of the key, else round-robin. */
function choosePartition(state: TopicState, input: ProduceRecord, record: RecordInput): number {
  const count = state.partitions.length;
  const explicit = input.partition;
  if (explicit !== undefined) {
    if (explicit < 0 || explicit >= count)
      throw new StreamNestError(
        "PARTITION_OUT_OF_RANGE",
        `topic "${state.meta.name}" has partitions 0 to ${count - 1}; there is no partition ${explicit}`,
      );
    return explicit;
  }
  if (record.key !== null) return partitionForKey(record.key, count);
  const p = state.roundRobin;
  state.roundRobin = p + 1 >= count ? 0 : p + 1;
  return p;
}

/** Bytes of value, key and headers (header names as UTF-8), as the size limit counts them. */
export function recordBytes(record: { key: Uint8Array | null; value: Uint8Array; headers: readonly { key: string; value: Uint8Array | null }[] }): number {
  let bytes = record.value.length + (record.key?.length ?? 0);
  for (const h of record.headers) bytes += Buffer.byteLength(h.key) + (h.value?.length ?? 0);
  return bytes;
}

function failure(error: unknown): ProduceOutcome {
  if (error instanceof StreamNestError) return error.toJSON();
  return { error: "INTERNAL_ERROR", message: error instanceof Error ? error.message : String(error) };
}

function assertRunning(ctx: CoreContext): void {
  if (ctx.lifetime.aborted) throw new StreamNestError("LEADER_UNAVAILABLE", "the broker is shutting down");
}

/**
 * Clients never write to an internal topic (Kafka refuses them too): a record forged in
 * `__consumer_offsets` would move any group's committed offsets past its generation
 * checks. Adapters refuse it first, in their own words.
 */
function assertWritable(topic: string): void {
  if (isInternalTopic(topic))
    throw new StreamNestError(
      "INVALID_REQUEST",
      `${topic} is an internal topic written by the group coordinators only; commit offsets through the consumer group`,
    );
}
