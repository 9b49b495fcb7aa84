import { join } from "node:path";
import { isInternalTopic } from "../groups/offsets-topic.ts";
import { StreamNestError } from "../lib/errors.ts";
import { assertTopicName } from "../lib/topic-name.ts";
import type { BrokerMetrics, TopicCounters } from "../metrics/metrics.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import type { PartitionAssignment, TopicMetadata } from "./metadata.ts";

/**
 * The topics this broker knows, as metadata describes them, with what the broker keeps
 * per partition beside its log: the shared state every request kind (produce, fetch,
 * tail, retention) works on.
 */

export { isInternalTopic, OFFSETS_TOPIC } from "../groups/offsets-topic.ts";

export interface LogStats {
  startOffset: number;
  endOffset: number;
  sizeBytes: number;
  segmentCount: number;
}

export function statsOf(log: PartitionLog): LogStats {
  return { startOffset: log.startOffset, endOffset: log.endOffset, sizeBytes: log.sizeBytes, segmentCount: log.segmentCount };
}

export interface PartitionState {
  readonly partition: number;
  assignment: PartitionAssignment;
  readonly dir: string;
  /** Its topic's id (metadata): which incarnation of the topic name this partition is. */
  readonly topicId: string;
  /** Its log stays open for good once opened: a group coordinator holds it (`__consumer_offsets`). */
  readonly keepOpen: boolean;
  /**
   * What its log showed when it was last closed: a closed log does not change, so
   * describe and metrics answer from this without opening it again.
   */
  closed: LogStats | undefined;
  /** Segment files its folder held when looked at before its log was ever opened (retention). */
  unopenedSegments: number | undefined;
}

export interface TopicState {
  meta: TopicMetadata;
  partitions: PartitionState[];
  /** Next partition for a record with neither key nor partition. */
  roundRobin: number;
  counters: TopicCounters;
  /** Aborted when the topic is deleted: wakes its long polls and ends its tails. */
  readonly lifetime: AbortController;
}

export class TopicCatalog {
  private readonly topics = new Map<string, TopicState>();
  /** Names by collisionKey, so that a colliding name is found without a scan. */
  private readonly byCollisionKey = new Map<string, Set<string>>();

  constructor(
    private readonly dataDir: string,
    private readonly brokerId: number,
    private readonly metrics: BrokerMetrics,
  ) {}

  /** The topic's state; TOPIC_NOT_FOUND (or INVALID_TOPIC_NAME for a name no topic can have). */
  topic(topic: string): TopicState {
    const state = this.topics.get(topic);
    if (state) return state;
    assertTopicName(topic);
    throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${topic}" does not exist`);
  }

  get(topic: string): TopicState | undefined {
    return this.topics.get(topic);
  }

  partition(state: TopicState, partition: number): PartitionState {
    if (!Number.isInteger(partition)) throw new StreamNestError("INVALID_REQUEST", "partition must be an integer");
    const ps = state.partitions[partition];
    if (!ps)
      throw new StreamNestError(
        "PARTITION_OUT_OF_RANGE",
        `topic "${state.meta.name}" has partitions 0 to ${state.partitions.length - 1}; there is no partition ${partition}`,
      );
    return ps;
  }

  /** Topic names, sorted; internal ones (`__consumer_offsets`) only when asked. */
  names(includeInternal = false): string[] {
    return [...this.topics.keys()].filter((t) => includeInternal || !isInternalTopic(t)).sort();
  }

  states(): IterableIterator<TopicState> {
    return this.topics.values();
  }

  entries(): [string, TopicState][] {
    return [...this.topics];
  }

  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** A topic whose name equals `topic` ignoring case, but not `topic` itself. */
  caseVariantOf(topic: string): string | undefined {
    const lower = topic.toLowerCase();
    for (const name of this.byCollisionKey.get(collisionKey(topic)) ?? []) if (name !== topic && name.toLowerCase() === lower) return name;
    return undefined;
  }

  /**
   * A topic whose name equals `topic` once "." and "_" are taken as one (and case
   * ignored), but not `topic` itself: Kafka refuses such a second name (INVALID_TOPIC_EXCEPTION,
   * "collides with existing topics"), as its metric names replace "." with "_".
   */
  periodVariantOf(topic: string): string | undefined {
    for (const name of this.byCollisionKey.get(collisionKey(topic)) ?? []) if (name !== topic) return name;
    return undefined;
  }

  add(meta: TopicMetadata): void {
    const key = collisionKey(meta.name);
    const same = this.byCollisionKey.get(key);
    if (same) same.add(meta.name);
    else this.byCollisionKey.set(key, new Set([meta.name]));
    this.topics.set(meta.name, {
      meta,
      partitions: meta.partitions.map((assignment) => this.partitionState(meta, assignment)),
      // Each broker starts its round-robin one partition further than the broker before
      // it, so producers spread over the brokers also spread over the partitions.
      roundRobin: meta.partitions.length > 0 ? (this.brokerId - 1) % meta.partitions.length : 0,
      counters: this.metrics.topic(meta.name),
      lifetime: new AbortController(),
    });
  }

  /** Partitions added to the topic (CreatePartitions): their states, beside the existing ones. */
  grow(state: TopicState): void {
    for (const assignment of state.meta.partitions.slice(state.partitions.length))
      state.partitions.push(this.partitionState(state.meta, assignment));
  }

  private partitionState(meta: TopicMetadata, assignment: PartitionAssignment): PartitionState {
    return {
      partition: assignment.partition,
      assignment,
      dir: join(this.dataDir, `${meta.name}-${assignment.partition}`),
      topicId: meta.id,
      keepOpen: isInternalTopic(meta.name),
      closed: undefined,
      unopenedSegments: undefined,
    };
  }

  remove(topic: string): void {
    this.topics.delete(topic);
    const key = collisionKey(topic);
    const same = this.byCollisionKey.get(key);
    same?.delete(topic);
    if (same?.size === 0) this.byCollisionKey.delete(key);
  }
}

/** What two colliding names share: lower case (case-insensitive file systems), "." as "_" (Kafka's metric names). */
function collisionKey(topic: string): string {
  return topic.toLowerCase().replaceAll(".", "_");
}
