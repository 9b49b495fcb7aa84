/**
 * The replication core's vocabulary (Kafka's replication protocol: KIP-101/279 leader
 * epochs, KIP-392's fetch fields, KIP-497's AlterPartition). Pure data: the core decides,
 * its driver (replication-driver.ts) and the simulation (test/sim/replication/) carry out.
 */

/** A partition's replication state as metadata records it (Kafka's PartitionRecord). */
export interface PartitionRegistration {
  replicas: readonly number[];
  isr: readonly number[];
  leader: number;
  /** Bumped with every leader change: fences a deposed leader and its followers. */
  leaderEpoch: number;
  /** Bumped with every change of this record (ISR or leader): AlterPartition's compare-and-set. */
  partitionEpoch: number;
}

/** What the core reads of a replica's log (storage's PartitionLog has this shape). */
export interface ReplicaLogView {
  readonly startOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly latestEpoch: number | null;
  /** Kafka's OffsetsForLeaderEpoch: the largest epoch ≤ `epoch` and where it ends here. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | null;
}

/** A follower's fetch (KIP-392/KIP-320 fields). */
export interface ReplicaFetch {
  replica: number;
  /** The follower's log end offset: the next offset it wants. */
  fetchOffset: number;
  /** Epoch of the follower's last record; null when its log has none. */
  lastFetchedEpoch: number | null;
  /** The leader epoch the follower knows; fences both ways. */
  leaderEpoch: number;
}

/** A run of consecutive offsets written in one leader epoch (how a fetch answer stamps its batch). */
export interface EpochRun {
  epoch: number;
  startOffset: number;
}

/** The leader's verdict on a fetch before it reads anything. */
export type FetchVerdict =
  | { kind: "read" }
  /** The follower's log diverged (KIP-279's DivergingEpoch): it truncates, then fetches again. */
  | { kind: "diverging"; epoch: number; endOffset: number }
  /** Below the leader's log start: the follower empties its log and starts there. */
  | { kind: "start-over"; startOffset: number }
  /** The follower's leader epoch is older than the leader's (FENCED_LEADER_EPOCH). */
  | { kind: "fenced"; leaderEpoch: number }
  /** The follower knows a newer epoch than this broker (UNKNOWN_LEADER_EPOCH): this one is deposed or behind. */
  | { kind: "unknown-epoch"; leaderEpoch: number }
  | { kind: "not-replica" };

/** A partition change the leader asks the metadata quorum to commit (AlterPartition). */
export interface IsrChangeProposal {
  isr: number[];
  /** The leader epoch and partition epoch it was computed from: refused if either moved. */
  leaderEpoch: number;
  partitionEpoch: number;
}
