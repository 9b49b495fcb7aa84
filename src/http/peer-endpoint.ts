/**
 * What the HTTP adapter needs of the cluster to serve /internal/ and /cluster: the
 * answers to calls from other brokers, in JSON-ready values. The cluster's link
 * (cluster/cluster-link.ts) has this shape; the node (src/node/) hands it over, so the
 * adapter never imports the cluster. Bodies are the wire's JSON, checked by the callee.
 */
export interface PeerEndpoint {
  /** Throws UNAUTHORIZED unless `given` (the secret header's value, or null) is the cluster secret. */
  authorize(given: string | null): void;
  heartbeat(body: unknown): unknown;
  metadata(): unknown;
  receiveMetadata(body: unknown): Promise<unknown>;
  controllerChange(body: unknown): Promise<unknown>;
  /** `from`: the calling broker's id, if it said. */
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
  /** GET /cluster. */
  status(): ClusterStatus;
  /** The metadata quorum's messages, proposals and voters (issue 11). */
  quorumMessages(body: unknown): unknown;
  quorumPropose(body: unknown): Promise<unknown>;
  quorumVoters(): unknown;
  quorumHeartbeat(body: unknown): unknown;
}

/** GET /cluster. */
export interface ClusterStatus {
  broker: number;
  controller: number;
  metadata_version: number;
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
