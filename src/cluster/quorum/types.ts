/**
 * Data types of the controller quorum core: a pull-based Raft in KRaft's dialect
 * (KIP-595), with pre-vote (KIP-996) and voter directory ids (KIP-853).
 */

export type NodeId = number;

/** A voter is named by its broker id and, once known, the id of its data directory
 * (KIP-853): a voter whose disk was wiped comes back with a new directory id and so
 * cannot act as its old self (it would have forgotten its votes and its log). */
export interface VoterKey {
  readonly id: NodeId;
  readonly directoryId: string | null;
}

/** What an entry carries: user changes are opaque bytes; a leader opens every epoch
 * with a leader-change control entry (as KRaft's LeaderChangeMessage), which is what lets
 * it commit earlier epochs' entries (Raft paper §5.4.2). */
export type EntryKind = "data" | "leader-change";

export interface Entry {
  readonly offset: number;
  readonly epoch: number;
  readonly kind: EntryKind;
  readonly payload: Uint8Array;
}

/** A snapshot holds the applied state of every entry below endOffset; epoch is the
 * epoch of the entry at endOffset - 1 (Kafka's OffsetAndEpoch snapshot id). */
export interface SnapshotId {
  readonly endOffset: number;
  readonly epoch: number;
}

/** The election state that must be on disk (written, flushed, renamed) before any vote
 * is granted or requested: Raft's currentTerm and votedFor, plus the leader known in
 * the epoch (Kafka's quorum-state file keeps it too). */
export interface ElectionState {
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly votedId: NodeId | null;
  readonly votedDirectoryId: string | null;
}

export const INITIAL_ELECTION_STATE: ElectionState = {
  epoch: 0,
  leaderId: null,
  votedId: null,
  votedDirectoryId: null,
};

export type Role = "unattached" | "prospective" | "candidate" | "leader" | "follower" | "resigned";

export interface QuorumConfig {
  readonly nodeId: NodeId;
  /** This node's data directory id (KIP-853), kept in its quorum-state file. */
  readonly directoryId: string;
  /** Static voters fixed at formation; every other node is an observer. */
  readonly voters: readonly VoterKey[];
  /** Base election timeout; each wait is drawn from [t, 2t) (Raft §5.2). */
  readonly electionTimeoutMs: number;
  /** A follower that has not fetched from its leader for this long starts an election;
   * a leader that a majority has not fetched from for this long resigns (check-quorum). */
  readonly fetchTimeoutMs: number;
  /** An unanswered request is sent again after this long (a fetch: after this long
   * plus fetchMaxWaitMs, the longest the leader may hold it). */
  readonly requestTimeoutMs: number;
  /** How long the leader holds a fetch that has nothing new (long poll); must be
   * shorter than requestTimeoutMs. */
  readonly fetchMaxWaitMs: number;
  /** Back-off before fetching again after an error answer. */
  readonly retryBackoffMs: number;
  readonly maxFetchEntries: number;
  readonly snapshotChunkBytes: number;
  /** Test-only: break one safety rule so that the simulation can prove it notices. */
  readonly testOnlyUnsafe?: { readonly skipVoteLogCheck?: boolean; readonly commitOlderEpochsByCount?: boolean };
}

/** Defaults faster than KRaft's (election 1 s, fetch 2 s, request 2 s), which in the
 * simulation take up to 4.4 s to replace a crashed leader; these take at most about
 * 1.9 s there (test/sim/crashes.test.ts), inside issue 11's 3 s failover target. */
export const DEFAULT_TIMING = {
  electionTimeoutMs: 500,
  fetchTimeoutMs: 1000,
  requestTimeoutMs: 300,
  fetchMaxWaitMs: 200,
  retryBackoffMs: 50,
  maxFetchEntries: 1000,
  snapshotChunkBytes: 1 << 20,
} as const;

/** The quorum as one node sees it, for /cluster and tests. */
export interface QuorumStatus {
  readonly nodeId: NodeId;
  readonly role: Role;
  readonly isVoter: boolean;
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly votedId: NodeId | null;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /**
   * What this node knows of the leader's high watermark and as of when: the leader's own
   * (as of now) on the leader; on a follower, what the answer to its fetch sent at
   * `requestSentAt` said; nothing (-1, -Infinity) otherwise.
   */
  readonly leaderHighWatermark: { readonly value: number; readonly requestSentAt: number };
  /** This node's data directory id. */
  readonly directoryId: string;
  /** The voters as this node records them (directory ids adopted so far included). */
  readonly voters: readonly VoterKey[];
  /** On the leader: each replica's last fetch offset and when it fetched. `voter` is
   * whether the replica counts as a voter: a voter's id fetching from another disk
   * (wiped) shows with voter false and its own directory id. */
  readonly replicas: readonly ReplicaView[];
}

export interface ReplicaView {
  readonly id: NodeId;
  readonly endOffset: number;
  readonly lastFetchMs: number;
  readonly voter: boolean;
  readonly directoryId: string | null;
}
