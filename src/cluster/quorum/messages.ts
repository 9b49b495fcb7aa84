/**
 * The quorum's RPCs, transport-free (KIP-595's Vote, BeginQuorumEpoch, EndQuorumEpoch,
 * Fetch and FetchSnapshot; KIP-996's PreVote is a Vote with preVote set). Every request
 * carries a correlation id that its response echoes, so that late, duplicated or
 * reordered answers can be recognised.
 */
import type { Entry, NodeId, SnapshotId } from "./types.ts";

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly correlationId: number;
}

export interface VoteRequest extends Envelope {
  readonly type: "vote-request";
  /** The epoch the candidate stands in; for a pre-vote, the epoch it would take. */
  readonly epoch: number;
  readonly candidateDirectoryId: string;
  /** The directory id the candidate believes the voter has (KIP-853). */
  readonly voterDirectoryId: string | null;
  readonly lastEpoch: number;
  readonly lastOffset: number;
  readonly preVote: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: "vote-response";
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly granted: boolean;
  readonly preVote: boolean;
  /** The answering voter's directory id: a grant counts only from the recorded disk
   * (KIP-853; the voter checks the request's voterDirectoryId too). */
  readonly voterDirectoryId: string;
}

export interface BeginQuorumEpochRequest extends Envelope {
  readonly type: "begin-epoch-request";
  readonly epoch: number;
  readonly leaderId: NodeId;
}

export interface BeginQuorumEpochResponse extends Envelope {
  readonly type: "begin-epoch-response";
  readonly epoch: number;
  readonly leaderId: NodeId | null;
}

export interface EndQuorumEpochRequest extends Envelope {
  readonly type: "end-epoch-request";
  readonly epoch: number;
  readonly leaderId: NodeId;
  /** Voters best placed to win next, most caught-up first (KIP-595). */
  readonly preferredSuccessors: readonly NodeId[];
}

export interface FetchRequest extends Envelope {
  readonly type: "fetch-request";
  readonly epoch: number;
  /** The fetching replica's data directory id (KIP-853's ReplicaDirectoryId). */
  readonly replicaDirectoryId: string;
  readonly fetchOffset: number;
  readonly lastFetchedEpoch: number;
}

export type FetchError = "NONE" | "FENCED_LEADER_EPOCH" | "UNKNOWN_LEADER_EPOCH" | "NOT_LEADER";

export interface FetchResponse extends Envelope {
  readonly type: "fetch-response";
  readonly error: FetchError;
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly highWatermark: number;
  readonly entries: readonly Entry[];
  /** The follower's log diverged: truncate to (at most) this end offset of this epoch. */
  readonly divergingEpoch: { readonly epoch: number; readonly endOffset: number } | null;
  /** The fetch offset is below the leader's log start: fetch this snapshot. */
  readonly snapshotId: SnapshotId | null;
}

export interface FetchSnapshotRequest extends Envelope {
  readonly type: "fetch-snapshot-request";
  readonly epoch: number;
  /** As in Fetch (KIP-853): only the recorded disk of a voter counts as that voter. */
  readonly replicaDirectoryId: string;
  readonly snapshotId: SnapshotId;
  readonly position: number;
}

export interface FetchSnapshotResponse extends Envelope {
  readonly type: "fetch-snapshot-response";
  readonly error: FetchError | "SNAPSHOT_NOT_FOUND";
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly snapshotId: SnapshotId;
  readonly position: number;
  readonly size: number;
  readonly bytes: Uint8Array;
}

export type QuorumMessage =
  | VoteRequest
  | VoteResponse
  | BeginQuorumEpochRequest
  | BeginQuorumEpochResponse
  | EndQuorumEpochRequest
  | FetchRequest
  | FetchResponse
  | FetchSnapshotRequest
  | FetchSnapshotResponse;
