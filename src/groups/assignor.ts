/**
 * Server-side partition assignment (as KIP-848 moves it to the coordinator): given the
 * members and the topics they subscribe to, decide who owns which partition for one
 * generation. Every assignor gives each partition of a subscribed topic to exactly one
 * member subscribed to that topic.
 */
import type { TopicPartition } from "./types.ts";

export interface AssignorMember {
  memberId: string;
  topics: readonly string[];
}

/** memberId -> partitions, each list sorted by topic then partition. */
export type Assignment = Map<string, TopicPartition[]>;

export type AssignFn = (members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>) => Assignment;

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

/** Members sorted by id, so every coordinator computes the same assignment from the same input. */
export function sortedMembers(members: readonly AssignorMember[]): AssignorMember[] {
  return [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
}
