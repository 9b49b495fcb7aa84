import type { BrokerStats } from "../broker/broker-stats.ts";

/**
 * What the HTTP adapter needs of the cluster to serve /internal/ and /cluster: the
 * answers to calls from other brokers, in JSON-ready values. The cluster's link
 * (cluster/cluster-link.ts) has this shape; the node (src/node/) hands it over, so the
 * adapter never imports the cluster. Bodies are the wire's JSON, checked by the callee.
 */
export interface PeerEndpoint {
  /**
   * Throws UNAUTHORIZED unless the call is signed by a broker of this cluster for this one;
   * returns the sender and the nonce its answer is bound to.
   */
  authorize(call: { authorization: string | null; method: string; path: string; body: Uint8Array }): { sender: number; nonce: string };
  /** This broker's signature of its answer to a verified call. */
  signAnswer(nonce: string, status: number, body: string | Uint8Array | readonly Uint8Array[]): string;
  /** `from` (here and below): the id of the broker that signed the call. */
  heartbeat(body: unknown, from: number | null): unknown;
  produce(body: unknown, from: number | null): Promise<unknown>;
  fetch(body: unknown, from: number | null, signal: AbortSignal | undefined): Promise<unknown>;
  /** A forwarded tail as newline-delimited JSON. */
  tail(
    query: { topic?: string; partition?: string; offset?: string },
    from: number | null,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>>;
  /** The ranges of the partitions of `topic` this broker leads. */
  offsets(topic: string): unknown;
  /** The ranges of every partition this broker leads, by topic. */
  allOffsets(): unknown;
  /** This broker's counters and disk use (what a peer gathering the cluster's asks). */
  stats(): unknown;
  /** GET /cluster/metrics: every broker's counters and disk use, asked of the live ones. */
  clusterStats(): Promise<BrokerStatsRow[]>;
  /** GET /cluster. */
  status(): ClusterStatus;
  /** The metadata quorum's messages, proposals and voters (issue 11). */
  quorumMessages(body: unknown, from: number | null): unknown;
  quorumPropose(body: unknown, from: number | null): Promise<unknown>;
  quorumVoters(): unknown;
  quorumHeartbeat(body: unknown, from: number | null): unknown;
  quorumApplied(body: unknown): Promise<unknown>;
  /** A follower's fetch (binary in, binary out): the answer's parts, sent back to back. */
  replicaFetch(body: Uint8Array, signal: AbortSignal | undefined): Promise<Uint8Array[]>;
}

/** One broker's row of GET /cluster/metrics. */
export interface BrokerStatsRow {
  id: number | null;
  address: string;
  self: boolean;
  alive: boolean;
  error: string | null;
  stats: BrokerStats | null;
}

/** GET /cluster. */
export interface ClusterStatus {
  broker: number;
  controller: number;
  metadata_version: number;
  /** Partitions led by this broker with fewer in-sync replicas than replicas. */
  under_replicated_partitions?: number;
  /** Partitions hosted here whose leader is down. */
  offline_partitions?: number;
  brokers: Array<{
    id: number | null;
    address: string;
    alive: boolean;
    controller: boolean;
    self: boolean;
    metadata_version: number | null;
    last_heartbeat_ms: number | null;
  }>;
}
