import { openFileLimit } from "../storage/open-file-limit.ts";
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
  /** Largest partition count of one topic. */
  maxPartitions: number;
  /** Largest message (value + key + headers) in bytes. */
  maxMessageBytes: number;
  /** Largest request body in bytes. */
  maxBodyBytes: number;
  /** Options for every partition log (fsync, segment size, retention). */
  log: Partial<LogOptions>;
  /** How often old segments are checked against retention. */
  retentionCheckMs: number;
  /**
   * Most partition logs kept open that nothing is using (the least recently used idle one
   * is closed when another must open). Each costs ~3 file descriptors and a sqlite connection.
   */
  maxOpenPartitions: number;
}

export const DEFAULT_MAX_PARTITIONS = 10_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Kafka checks every 5 minutes (log.retention.check.interval.ms); a little more eager here. */
export const DEFAULT_RETENTION_CHECK_MS = 30_000;

/** Descriptors a broker needs besides its partition logs: connections, metadata, sqlite temp files. */
const RESERVED_FILES = 256;
/**
 * An open log holds its index, the index's WAL and one descriptor per segment (~3), and
 * an evicted log keeps them until its flush ends: 8 per log leaves room for both.
 */
const FILES_PER_OPEN_LOG = 8;
/** Past this, more open logs buy little and cost memory (~250 KB of sqlite each). */
const MAX_DEFAULT_OPEN_PARTITIONS = 1000;
const MIN_DEFAULT_OPEN_PARTITIONS = 16;

/** The default of maxOpenPartitions for a process allowed `fileLimit` open files (`ulimit -n`). */
export function defaultMaxOpenPartitions(fileLimit: number | null = openFileLimit()): number {
  if (fileLimit === null) return MAX_DEFAULT_OPEN_PARTITIONS;
  const fit = Math.floor((fileLimit - RESERVED_FILES) / FILES_PER_OPEN_LOG);
  return Math.min(MAX_DEFAULT_OPEN_PARTITIONS, Math.max(MIN_DEFAULT_OPEN_PARTITIONS, fit));
}

/** A complete config from the few fields that have no default. */
export function brokerConfig(
  fields: Pick<BrokerConfig, "id" | "dataDir"> & Partial<BrokerConfig>,
): BrokerConfig {
  const port = fields.port ?? 8080;
  return {
    host: "0.0.0.0",
    port,
    advertise: `localhost:${port}`,
    peers: [],
    maxPartitions: DEFAULT_MAX_PARTITIONS,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    log: {},
    retentionCheckMs: DEFAULT_RETENTION_CHECK_MS,
    maxOpenPartitions: fields.maxOpenPartitions ?? defaultMaxOpenPartitions(),
    ...fields,
  };
}
