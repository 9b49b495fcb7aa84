/**
 * The internal topic that holds every group's committed offsets, as Kafka's
 * `__consumer_offsets`: a group belongs to one of its partitions, and the leader of that
 * partition is the group's coordinator, so every broker derives the same coordinator
 * from the group id alone.
 */
import { partitionForKey } from "../lib/murmur2.ts";
import { GROUP_LIMITS } from "../config/core.ts";

export const OFFSETS_TOPIC = "__consumer_offsets";

/**
 * Kafka defaults `offsets.topic.num.partitions` to 50; a small cluster of one machine
 * gains nothing from that many, and each partition costs a log and an index.
 */
export const DEFAULT_OFFSETS_PARTITIONS = GROUP_LIMITS.offsetsTopicPartitions.value;

/**
 * Kafka's `abs(groupId.hashCode) % offsets.topic.num.partitions`, with murmur2 in place
 * of Java's String.hashCode (the hash StreamNest already uses for keys).
 */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  return partitionForKey(groupId, partitions);
}

export function isInternalTopic(topic: string): boolean {
  return topic === OFFSETS_TOPIC;
}
