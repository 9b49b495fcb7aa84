import { StreamNestError } from "../lib/errors.ts";
import type { ApplyResult, MetadataDocument, PartitionAssignment } from "./metadata.ts";

/**
 * Partitions added to an existing topic (Kafka's CreatePartitions, KIP-195; in KRaft a
 * PartitionRecord per new partition, KIP-631). A topic only grows: partitions are never
 * removed or renumbered, and existing ones keep their data and assignment. Keys may map
 * to other partitions afterwards (murmur2(key) mod the new count), as in Kafka.
 */
export interface CreatePartitionsChange {
  type: "create-partitions";
  topic: string;
  /** The incarnation grown, so a change for a deleted topic never grows its namesake. */
  topicId: string;
  /** The new partitions only, numbered on from the topic's current count. */
  partitions: PartitionAssignment[];
}

export function addPartitions(doc: MetadataDocument, change: CreatePartitionsChange): ApplyResult {
  const topic = doc.topics.get(change.topic);
  if (!topic || topic.id !== change.topicId)
    throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${change.topic}" (id ${change.topicId}) does not exist`);
  const first = change.partitions[0]?.partition;
  if (first === undefined || change.partitions.some((p, i) => p.partition !== first + i))
    throw new StreamNestError("INVALID_PARTITIONS", `new partitions of "${change.topic}" must be numbered in order`);
  const total = first + change.partitions.length;
  // Replayed (a retried proposal): the partitions are already there.
  if (first < topic.partitions.length && total === topic.partitions.length) return { document: doc, changed: false };
  if (first !== topic.partitions.length)
    throw new StreamNestError(
      "INVALID_PARTITIONS",
      `topic "${change.topic}" has ${topic.partitions.length} partitions; new ones must start at partition ${topic.partitions.length}, not ${first}`,
    );
  const added = change.partitions.map((p) => ({ ...p, replicas: [...p.replicas], ...(p.isr ? { isr: [...p.isr] } : {}) }));
  const topics = new Map(doc.topics);
  topics.set(change.topic, { ...topic, partitions: [...topic.partitions, ...added] });
  return { document: { ...doc, version: doc.version + 1, topics }, changed: true };
}
