/**
 * Kafka's RoundRobinAssignor: every partition of every subscribed topic, sorted by topic
 * then partition, dealt in turn to the members sorted by id, skipping a member that does
 * not subscribe to the partition's topic. With equal subscriptions the counts differ by
 * at most one across members, whatever the number of topics.
 */
import type { AssignFn, Assignment } from "./assignor.ts";
import { sortedMembers } from "./assignor.ts";

export const roundRobinAssign: AssignFn = (members, partitionsPerTopic) => {
  const sorted = sortedMembers(members);
  const assignment: Assignment = new Map(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return assignment;
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].sort();
  let next = 0;
  for (const topic of topics) {
    const count = partitionsPerTopic.get(topic) ?? 0;
    for (let partition = 0; partition < count; partition++) {
      // Some member subscribes to `topic` (it came from a subscription), so this ends.
      while (!sorted[next % sorted.length].topics.includes(topic)) next++;
      assignment.get(sorted[next % sorted.length].memberId)!.push({ topic, partition });
      next++;
    }
  }
  return assignment;
};
