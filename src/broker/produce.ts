import { StreamNestError } from "../lib/errors.ts";
import { partitionForKey } from "../lib/murmur2.ts";
import type { RecordInput } from "../storage/types.ts";
import type { CoreContext } from "./core-context.ts";
import { availabilityNow } from "./leader-wait.ts";
import { assertNotLost } from "./lost-replicas.ts";
import { surelyNotWritten } from "./partition-availability.ts";
import { routePartition, type RoutingPolicy } from "./partition-router.ts";
import { assertEnoughReplicas, awaitReplication, awaitsReplicas, leaderEpochFor, waitsForIsr } from "./produce-acks.ts";
import { type Attempt, deliverAnywhere, deliverToPartition, leaderDeadline, nextLivePartition, triedAgain } from "./produce-routing.ts";
import { isInternalTopic, type PartitionState, type TopicState } from "./topic-catalog.ts";
import type { Acks, ProduceAck, ProduceFailure, ProduceOutcome, ProduceRecord } from "./types.ts";
import { LOG_OPEN_SLICE, startInSlices } from "../lib/sliced-start.ts";

/**
 * Produce: a record is checked (size, the topic's schema), given its partition
 * (explicit, else murmur2 of the key, else round-robin over the partitions with a live
 * leader) and appended to the partition's log here, or routed to the leader by the
 * caller's policy; produce-routing.ts rides through leaders dying and being elected.
 */

/** The records of one batch bound for one partition. */
interface BatchGroup {
  indexes: number[];
  records: RecordInput[];
  inputs: ProduceRecord[];
  /** Per record: it has neither key nor partition, so any partition may take it. */
  movable: boolean[];
}

const textOf = new TextDecoder("utf-8", { ignoreBOM: true });

const newGroup = (): BatchGroup => ({ indexes: [], records: [], inputs: [], movable: [] });

/** One record; throws the reason when it is refused. */
export async function produce(ctx: CoreContext, topic: string, input: ProduceRecord, policy: RoutingPolicy): Promise<ProduceAck> {
  assertRunning(ctx);
  const state = ctx.catalog.topic(topic);
  assertWritable(state.meta.name);
  const now = Date.now();
  const record = toRecord(ctx, state, input, now);
  const fixed = fixedPartition(state, input, record);
  const deadline = leaderDeadline(ctx, policy, now);
  // Led here (the plain case of a busy partition): straight to the log, without the
  // routing loop's frames and awaits, which cost as much again as the append under
  // single-message load. What the loop's first turn would do, since this broker is
  // always alive to itself; a failure the loop tries again goes on to it (one more
  // try at once, then its waits).
  if (fixed !== undefined && state.partitions[fixed].assignment.leader === ctx.directory.self.id) {
    try {
      return { partition: fixed, offset: await appendHere(ctx, state, state.partitions[fixed], [record], input.acks) };
    } catch (error) {
      if (!triedAgain(policy, error)) throw error;
    }
  }
  const attempt: Attempt<ProduceAck> = async (ps, leader) => {
    if (leader) {
      const [outcome] = await ctx.peers.produce(leader, state.meta.name, ps.partition, [input], awaitsReplicas(ps, [input]));
      if ("error" in outcome) throw new StreamNestError(outcome.error, outcome.message, outcome.details);
      return outcome;
    }
    const offset = await appendHere(ctx, ctx.catalog.topic(topic), ps, [record], input.acks);
    return { partition: ps.partition, offset };
  };
  if (fixed !== undefined) return deliverToPartition(ctx, topic, fixed, policy, deadline, attempt);
  return deliverAnywhere(ctx, topic, policy, deadline, undefined, attempt);
}

/**
 * Appends records on this broker, the partition's leader, and waits for the ISR as
 * `acks` asks; resolves with the first record's offset. Throws LEADER_UNAVAILABLE before
 * writing while this broker is still taking up leadership.
 */
async function appendHere(ctx: CoreContext, state: TopicState, ps: PartitionState, records: RecordInput[], acks: Acks | undefined): Promise<number> {
  if (ctx.logs.get(ps) === undefined) assertNotLost(ctx, state, ps);
  assertEnoughReplicas(state, ps, acks);
  const started = performance.now();
  // Not awaited unless it must wait (a close of the log running), nor is an ISR that
  // acks do not ask for: each await is a turn of the microtask queue per produce.
  const lease = ctx.logs.leaseIfReady(ps) ?? (await ctx.logs.lease(ps));
  let baseOffset: number;
  try {
    const epoch = leaderEpochFor(ps, lease.log);
    ({ baseOffset } = await lease.log.append(records));
    if (waitsForIsr(lease.log, acks)) await awaitReplication(ctx, state, ps, lease.log, baseOffset + records.length - 1, epoch, acks);
  } finally {
    lease.release();
  }
  ctx.metrics.produceLatency.record((performance.now() - started) / 1000);
  let bytes = 0;
  for (const r of records) bytes += recordBytes(r);
  state.counters.produced += records.length;
  state.counters.bytesIn += bytes;
  return baseOffset;
}

/**
 * A batch: each record is checked on its own (a refused one gets its error, the others
 * go on), then one append per partition. Outcomes come back in order. When a partition
 * fails before writing (its leader died), its records with a key or partition wait for
 * its next leader, and the others move on to a partition that has one.
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
  // Records without key or partition while no partition has a live leader: placed once one has.
  const unplaced = newGroup();
  const now = Date.now();
  const deadline = leaderDeadline(ctx, policy, now);
  const liveness = new Map<number, boolean>();
  for (let i = 0; i < inputs.length; i++) {
    try {
      const record = toRecord(ctx, state, inputs[i], now);
      const fixed = fixedPartition(state, inputs[i], record);
      const partition = fixed ?? nextLivePartition(ctx, state, NONE, liveness);
      let group = partition === undefined ? unplaced : groups.get(partition);
      if (!group) groups.set(partition as number, (group = newGroup()));
      group.indexes.push(i);
      group.records.push(record);
      group.inputs.push(inputs[i]);
      group.movable.push(fixed === undefined);
    } catch (error) {
      outcomes[i] = failure(error);
    }
  }
  const settle = (group: BatchGroup, results: ProduceOutcome[]): void => group.indexes.forEach((index, j) => (outcomes[index] = results[j]));
  const fail = (group: BatchGroup, error: unknown): void => {
    const outcome = failure(error);
    for (const index of group.indexes) outcomes[index] = outcome;
  };
  const attempt =
    (group: BatchGroup): Attempt<ProduceOutcome[]> =>
    async (ps, leader) => {
      if (leader) {
        const forwarded = await ctx.peers.produce(leader, state.meta.name, ps.partition, group.inputs, awaitsReplicas(ps, group.inputs));
        // The leader refused the whole call before writing: as if it had not been reached.
        const refusal = wholeRefusal(forwarded);
        if (refusal && surelyNotWritten(refusal)) throw refusal;
        return forwarded;
      }
      const base = await appendHere(ctx, ctx.catalog.topic(topic), ps, group.records, group.inputs[0].acks);
      return group.records.map((_, j) => ({ partition: ps.partition, offset: base + j }));
    };
  const deliver = (group: BatchGroup, send: (a: Attempt<ProduceOutcome[]>) => Promise<ProduceOutcome[]>): Promise<void> =>
    group.indexes.length === 0 ? Promise.resolve() : send(attempt(group)).then((r) => settle(group, r), (e: unknown) => fail(group, e));
  const run = async ([partition, group]: [number, BatchGroup]): Promise<void> => {
    try {
      const ps = ctx.catalog.partition(ctx.catalog.topic(topic), partition);
      const availability = availabilityNow(ctx, ps.assignment, liveness);
      // Its leader is known down and a successor is on the way: straight to waiting for it.
      if (!(policy.waitsForLeader === true && availability.kind === "electing")) {
        const live = availability.kind === "live";
        const leader = routePartition(ctx.directory.self.id, ps.assignment.leader, ctx.brokerRef, topic, partition, policy, live);
        settle(group, await attempt(group)(ps, leader));
        return;
      }
    } catch (error) {
      if (policy.waitsForLeader !== true || !surelyNotWritten(error)) return fail(group, error);
    }
    const [fixed, movable] = split(group);
    await Promise.all([
      deliver(fixed, (a) => deliverToPartition(ctx, topic, partition, policy, deadline, a)),
      deliver(movable, (a) => deliverAnywhere(ctx, topic, policy, deadline, undefined, a, new Set([partition]))),
    ]);
  };
  const self = ctx.directory.self.id;
  const local = [...groups].filter(([partition]) => state.partitions[partition].assignment.leader === self);
  const remote = [...groups].filter(([partition]) => state.partitions[partition].assignment.leader !== self);
  // A batch spread over thousands of partitions (round-robin over a large topic) holds
  // every log it appends to until written: in waves of the open-log limit, not all at once.
  const limit = ctx.logs.limit;
  const waves = async (): Promise<void> => {
    for (let i = 0; i < local.length; i += limit) await startInSlices(local.slice(i, i + limit), LOG_OPEN_SLICE, run);
  };
  const placeLater = deliver(unplaced, (a) => deliverAnywhere(ctx, topic, policy, deadline, undefined, a));
  await Promise.all([...remote.map(run), waves(), placeLater]);
  return outcomes;
}

const NONE: ReadonlySet<number> = new Set();

/** The group's records that must stay on its partition, and those that may move. */
function split(group: BatchGroup): [BatchGroup, BatchGroup] {
  const parts: [BatchGroup, BatchGroup] = [newGroup(), newGroup()];
  group.indexes.forEach((index, j) => {
    const into = parts[group.movable[j] ? 1 : 0];
    into.indexes.push(index);
    into.records.push(group.records[j]);
    into.inputs.push(group.inputs[j]);
    into.movable.push(group.movable[j]);
  });
  return parts;
}

/** The error when every outcome of a forwarded call is the same refusal, else undefined. */
function wholeRefusal(outcomes: readonly ProduceOutcome[]): StreamNestError | undefined {
  const first = outcomes[0];
  if (!first || !("error" in first)) return undefined;
  if (!outcomes.every((o) => "error" in o && o.error === first.error)) return undefined;
  return new StreamNestError(first.error, first.message, first.details);
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
  // A tombstone (null value) carries nothing to validate, as Kafka's schema-validating
  // brokers and serializers let it through.
  if (value !== null) schema?.check(textOf.decode(value), state.meta.name);
  return { key, value, headers, timestamp: input.timestamp ?? timestamp };
}

/** The invariants of a record handed to the core (an adapter checked its client's input). */
export function assertRecordShape(input: ProduceRecord): void {
  if (
    typeof input !== "object" ||
    input === null ||
    (input.value !== null && !(input.value instanceof Uint8Array)) ||
    (input.key !== null && !(input.key instanceof Uint8Array)) ||
    !Array.isArray(input.headers) ||
    (input.partition !== undefined && !Number.isInteger(input.partition))
  )
    throw new StreamNestError(
      "INVALID_REQUEST",
      "a produced record needs its value as bytes or null, its key as bytes or null, headers as a list and an integer partition if any",
    );
}

/**
 * Explicit partition, else Kafka's murmur2 of the key; undefined for a record with
 * neither, which goes round-robin over the partitions with a live leader.
 */
function fixedPartition(state: TopicState, input: ProduceRecord, record: RecordInput): number | undefined {
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
  return undefined;
}

/** Bytes of value, key and headers (header names as UTF-8), as the size limit counts them. */
export function recordBytes(record: { key: Uint8Array | null; value: Uint8Array | null; headers: readonly { key: string; value: Uint8Array | null }[] }): number {
  let bytes = (record.value?.length ?? 0) + (record.key?.length ?? 0);
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
