import { advertisedAddress } from "../config/broker-settings.ts";
import { CLUSTER } from "../config/cluster.ts";
import { REPLICATION } from "../config/replication.ts";
import { CORE, defaultMaxOpenPartitions } from "../config/core.ts";
import { HTTP } from "../config/http.ts";
import type { LogOptions } from "../storage/types.ts";

/** Everything a broker is told at start; commands/broker.ts builds it from flags. */
export interface BrokerConfig {
  id: number;
  /** Folder of this broker's partitions and metadata (`data/broker-<id>` by default). */
  dataDir: string;
  /** Interface to listen on. */
  host: string;
  port: number;
  /** host:port that clients and peers are told to use (`localhost:<port>` by default). */
  advertise: string;
  /** Other brokers, as host:port; their ids are learned by the cluster layer. */
  peers: string[];
  clusterSecret?: string;
  /** --controller-voters; undefined: 3, or 5 from 5 brokers on. */
  controllerVoters?: number;
  /** A broker silent this long is fenced by the quorum leader. */
  sessionTimeoutMs?: number;
  /** Snapshot the metadata every this many committed entries. */
  metadataSnapshotEntries?: number;
  /** …or once this many bytes of entries were committed since the last snapshot (raft only). */
  metadataSnapshotBytes?: number;
  /** Client authentication (--auth); absent: none. */
  clientAuth?: { mode: "none" | "token"; adminTokenFile?: string };
  /** Names the cluster; signed into every broker-to-broker call, so another cluster's brokers are refused. */
  clusterId: string;
  /** Largest partition count of one topic. */
  maxPartitions: number;
  /** Largest message (value + key + headers) in bytes. */
  maxMessageBytes: number;
  /** Largest request body in bytes. */
  maxBodyBytes: number;
  /** --allowed-hosts: more names a browser may reach the broker by (host-check.ts); "*": any. */
  allowedHosts?: string[];
  /** Threads serving HTTP on the port (--workers); undefined or 1: the broker's own thread only. */
  workers?: number;
  /** How long a batch ready for a live-tail reader may wait for it to read. */
  sse?: { stallMs: number };
  /** Options for every partition log (fsync, segment size, retention). */
  log: Partial<LogOptions>;
  /** How often old segments are checked against retention. */
  retentionCheckMs: number;
  /**
   * Most partition logs kept open that nothing is using (the least recently used idle one
   * is closed when another must open). Each costs ~3 file descriptors and a sqlite connection.
   */
  maxOpenPartitions: number;
  /** Replicas of a topic created without a replication factor (capped at the broker count). */
  defaultReplicationFactor: number;
  /** A follower not caught up for this long leaves the ISR (Kafka's replica.lag.time.max.ms). */
  replicaLagTimeMs: number;
  /** Elect a replica outside the ISR when none in it is alive (may lose acknowledged records). */
  uncleanLeaderElection: boolean;
  /** Longest a produce (HTTP) waits for a partition's new leader during an election. */
  leaderWaitMs: number;
  /** How a follower sends its replica fetches: over one WebSocket per leader, or an HTTP request apiece. */
  replicaFetchTransport: "websocket" | "http";
}

/** A complete config from the few fields that have no default. */
export function brokerConfig(
  fields: Pick<BrokerConfig, "id" | "dataDir"> & Partial<BrokerConfig>,
): BrokerConfig {
  const port = fields.port ?? HTTP.port.default;
  return {
    host: HTTP.host.default,
    port,
    advertise: advertisedAddress(port),
    peers: [...CLUSTER.peers.default],
    clusterId: CLUSTER.clusterId.default,
    maxPartitions: CORE.maxPartitions.default,
    maxMessageBytes: CORE.maxMessageBytes.default,
    maxBodyBytes: HTTP.maxBodyBytes.default,
    log: {},
    retentionCheckMs: CORE.retentionCheckMs.default,
    maxOpenPartitions: fields.maxOpenPartitions ?? defaultMaxOpenPartitions(),
    defaultReplicationFactor: REPLICATION.defaultReplicationFactor.default,
    replicaLagTimeMs: REPLICATION.replicaLagTimeMs.default,
    uncleanLeaderElection: false,
    leaderWaitMs: REPLICATION.leaderWaitMs.default,
    replicaFetchTransport: REPLICATION.replicaFetchTransport.default,
    ...fields,
  };
}
