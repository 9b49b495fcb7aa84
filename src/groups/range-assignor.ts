/**
 * Kafka's RangeAssignor (org.apache.kafka.clients.consumer.RangeAssignor): per topic,
 * the members subscribed to it, sorted by id, each take a contiguous range of its
 * partitions; the first `partitions % members` take one extra.
 */
import type { AssignFn, Assignment } from "./assignor.ts";
import { compareTopicPartitions, sortedMembers } from "./assignor.ts";

export const rangeAssign: AssignFn = (members, partitionsPerTopic) => {
  const sorted = sortedMembers(members);
  const assignment: Assignment = new Map(sorted.map((m) => [m.memberId, []]));
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const count = partitionsPerTopic.get(topic);
    if (count === undefined || count <= 0) continue;
    const subscribers = sorted.filter((m) => m.topics.includes(topic));
    const per = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    subscribers.forEach((member, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      const owned = assignment.get(member.memberId)!;
      for (let p = start; p < start + length; p++) owned.push({ topic, partition: p });
    });
  }
  for (const owned of assignment.values()) owned.sort(compareTopicPartitions);
  return assignment;
};
