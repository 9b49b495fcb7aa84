import type { BrokerRef, PartitionAssignment } from "./metadata.ts";

/**
 * Round-robin placement: partition p goes to the broker at position p mod N of the
 * brokers sorted by id, like Kafka's rack-unaware assignment without the random start
 * (so every broker computes the same answer). A pure function of its inputs.
 */
export function placePartitions(brokers: readonly BrokerRef[], count: number): PartitionAssignment[] {
  if (brokers.length === 0) throw new Error("placement needs at least one broker");
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  const assignments: PartitionAssignment[] = [];
  for (let p = 0; p < count; p++) {
    const leader = sorted[p % sorted.length].id;
    assignments.push({ partition: p, replicas: [leader], leader, leaderEpoch: 0 });
  }
  return assignments;
}
