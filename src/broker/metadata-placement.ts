import { StreamNestError } from "../lib/errors.ts";
import type { BrokerRef, PartitionAssignment } from "./metadata.ts";

/**
 * Round-robin placement: partition p's first replica (its preferred leader) is the
 * broker at position p mod N of the brokers sorted by id, like Kafka's rack-unaware
 * assignment without the random start (so every broker computes the same answer). The
 * other replicas follow at a shift that grows by one every N partitions (Kafka's
 * replica shift), so followers spread evenly rather than always pairing the same
 * brokers. A pure function of its inputs.
 */
export function placePartitions(brokers: readonly BrokerRef[], count: number, replicationFactor = 1): PartitionAssignment[] {
  // Unreachable from the routes (a broker always counts itself), but a caller that passes
  // an empty list gets a clear, retriable refusal rather than a crash.
  if (brokers.length === 0) throw new StreamNestError("LEADER_UNAVAILABLE", "no broker is available to hold the partitions");
  assertReplicationFactor(replicationFactor, brokers.length);
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  const n = sorted.length;
  const assignments: PartitionAssignment[] = [];
  for (let p = 0; p < count; p++) {
    const leader = sorted[p % n].id;
    if (replicationFactor === 1) {
      assignments.push({ partition: p, replicas: [leader], leader, leaderEpoch: 0 });
      continue;
    }
    // Kafka's AdminUtils.replicaIndex: followers at first + 1 + (shift + j) mod (N - 1), so
    // no broker appears twice and the shift moves on every N partitions.
    const first = p % n;
    const shift = Math.floor(p / n) % (n - 1);
    const replicas = [leader];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(sorted[(first + 1 + ((shift + j) % (n - 1))) % n].id);
    assignments.push({ partition: p, replicas, leader, leaderEpoch: 0, isr: [...replicas], partitionEpoch: 0 });
  }
  return assignments;
}

/** A replication factor is a whole number from 1 to the brokers that can hold a replica. */
export function assertReplicationFactor(replicationFactor: number, brokers: number): void {
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1)
    throw new StreamNestError("INVALID_REQUEST", `replication_factor must be an integer of at least 1, got ${String(replicationFactor)}`, { replicationFactor, brokers });
  if (replicationFactor > brokers)
    throw new StreamNestError(
      "INVALID_REQUEST",
      `replication factor ${String(replicationFactor)} needs ${String(replicationFactor)} brokers; the cluster has ${brokers}`,
      { replicationFactor, brokers },
    );
}
