/** Types and defaults of the quorum simulation. */
import type { QuorumCore } from "../../../src/cluster/quorum/quorum-core.ts";
import type { Ready } from "../../../src/cluster/quorum/ready.ts";
import type { NodeId, QuorumConfig, VoterKey } from "../../../src/cluster/quorum/types.ts";
import type { SimDisk } from "./sim-disk.ts";
import type { HashStateMachine } from "./state-machine.ts";

export interface NetworkFaults {
  minDelayMs: number;
  maxDelayMs: number;
  dropRate: number;
  duplicateRate: number;
  /** Share of messages held back for up to longDelayMs (stale arrivals, heavy reordering). */
  longDelayRate: number;
  longDelayMs: number;
}

export type Timing = Pick<
  QuorumConfig,
  "electionTimeoutMs" | "fetchTimeoutMs" | "requestTimeoutMs" | "fetchMaxWaitMs" | "retryBackoffMs" | "maxFetchEntries" | "snapshotChunkBytes"
>;

export const SIM_TIMING: Timing = {
  electionTimeoutMs: 100,
  fetchTimeoutMs: 200,
  requestTimeoutMs: 60,
  fetchMaxWaitMs: 40,
  retryBackoffMs: 10,
  maxFetchEntries: 8,
  snapshotChunkBytes: 16,
};

export interface SimOptions {
  seed: number;
  voters: number;
  observers?: number;
  timing?: Partial<Timing>;
  network?: Partial<NetworkFaults>;
  diskLatencyMs?: readonly [number, number];
  /** Snapshot (and trim) once this many applied entries are past the log start; 0: never. */
  snapshotEvery?: number;
  /** Voters recorded without directory ids (a voters file from before them): each node
   * adopts them on first contact (src/cluster/quorum/vote-rules.ts). */
  legacyVoters?: boolean;
  /** Deliberately broken variants, to prove the checker notices. */
  unsafe?: { skipVoteLogCheck?: boolean; commitOlderEpochsByCount?: boolean; sendBeforePersist?: boolean };
  trace?: boolean;
}

export interface SimNode {
  readonly id: NodeId;
  readonly voter: boolean;
  /** This node's data directory id (KIP-853); a wiped disk gets a new one. */
  directoryId: string;
  /** The voters as this node's voters file holds them (adopted directory ids are
   * written there durably, with the election state). */
  recordedVoters: readonly VoterKey[];
  disk: SimDisk;
  core: QuorumCore | null;
  incarnation: number;
  io: Ready | null;
  tickAt: number;
  tickToken: number;
  machine: HashStateMachine;
  checkedHw: number;
}

export interface Proposal {
  readonly node: NodeId;
  readonly offset: number;
  readonly epoch: number;
  readonly payload: Uint8Array;
  readonly at: number;
}
