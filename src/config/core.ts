import { openFileLimit } from "../lib/open-file-limit.ts";
import { limit, section } from "./setting.ts";

/**
 * The broker's core: identity, data on disk, partitions, retention, reads, groups and
 * schemas. (HTTP settings are in http.ts, the cluster's in cluster.ts.)
 */

const MiB = 1024 * 1024;

export const CORE = section({
  id: { kind: "integer", flag: "id", hint: "n", min: 1, max: 2 ** 31 - 1, help: "broker id, a whole number of at least 1" },
  dataDir: {
    kind: "text",
    flag: "data-dir",
    hint: "dir",
    defaultText: "data/broker-<id>; with --count, the parent folder, default data",
    help: "data folder",
  },
  fsync: {
    kind: "choice",
    flag: "fsync",
    hint: "mode",
    choices: ["always", "interval", "never"],
    default: "interval",
    help: "flush to the device: always | interval | never",
  },
  mappedReads: {
    kind: "choice",
    flag: "mapped-reads",
    hint: "on|off",
    choices: ["on", "off"],
    default: "on",
    help: "read rolled segments through a read-only memory mapping (Linux); off: every read is a pread",
  },
  maxPartitions: { kind: "integer", flag: "max-partitions", hint: "n", unit: "count", min: 1, default: 10_000, help: "most partitions of one topic" },
  maxOpenPartitions: {
    kind: "integer",
    flag: "max-open-partitions",
    hint: "n",
    unit: "count",
    min: 1,
    default: () => defaultMaxOpenPartitions(),
    defaultText: "from ulimit -n",
    help: "most partition logs kept open when idle, ~3 open files each",
  },
  maxMessageBytes: { kind: "bytes", flag: "max-message-bytes", hint: "bytes", unit: "bytes", min: 1, default: MiB, help: "largest message" },
  segmentBytes: {
    kind: "bytes",
    flag: "segment-bytes",
    hint: "bytes",
    unit: "bytes",
    min: 1024,
    default: 128 * MiB,
    help: "roll log segments at this size",
  },
  retentionMs: { kind: "integer", flag: "retention-ms", hint: "ms", unit: "ms", min: 0, defaultText: "keep", help: "delete segments older than this" },
  retentionBytes: {
    kind: "bytes",
    flag: "retention-bytes",
    hint: "bytes",
    unit: "bytes",
    min: 0,
    defaultText: "no limit",
    help: "keep at most this many bytes per partition",
  },
  retentionCheckMs: {
    kind: "integer",
    flag: "retention-check-ms",
    hint: "ms",
    unit: "ms",
    min: 100,
    max: 2 ** 31 - 1,
    // Kafka checks every 5 minutes (log.retention.check.interval.ms); a little more eager here.
    default: 30_000,
    help: "how often segments are checked against retention",
  },
});

/** Limits of the core that no flag sets. */
export const CORE_LIMITS = {
  fsyncIntervalMs: limit(1000, "with --fsync=interval: flush at most this long after an append", "ms"),
  /** A message's bytes plus the framing and headers a record may add to them. */
  maxRecordBytes: limit(MiB + 64 * 1024, "largest encoded record a partition log accepts", "bytes"),
  fetchMaxRecordsDefault: limit(500, "records in one read when the reader names no maximum", "count"),
  fetchMaxRecords: limit(10_000, "most records one read may ask for", "count"),
  fetchMaxBytesDefault: limit(MiB, "bytes of one read when the reader names no maximum (at least one record)", "bytes"),
  fetchMaxBytes: limit(64 * MiB, "most bytes one read may ask for", "bytes"),
  fetchTimeoutMs: limit(300_000, "longest a long poll may wait for records", "ms"),
  tailBatchRecords: limit(1000, "records read from the log per step of a live tail", "count"),
  tailBatchBytes: limit(MiB, "bytes read from the log per step of a live tail", "bytes"),
  /**
   * Recent live-tail batches kept, across partitions, so that tails at the same offsets
   * share one read and one encoding (broker/shared-tail-reads.ts); past this, the least
   * recently asked for go first. A tail keeps what it holds either way.
   */
  tailSharedBytes: limit(64 * MiB, "bytes of recent live-tail batches kept for other tails to share", "bytes"),
  /** Yields to the event loop this often so a retention pass over many partitions never stalls requests. */
  retentionStepPartitions: limit(100, "partitions checked against retention between yields to the event loop", "count"),
  /** Descriptors a broker needs besides its partition logs: connections, metadata, sqlite temp files. */
  reservedFiles: limit(256, "open files kept for everything but partition logs", "count"),
  /**
   * An open log holds its index, the index's WAL and one descriptor per segment (~3), and
   * an evicted log keeps them until its flush ends: 8 per log leaves room for both.
   */
  filesPerOpenLog: limit(8, "open files counted per open partition log", "count"),
  /** Past this, more open logs buy little and cost memory (~250 KB of sqlite each). */
  maxDefaultOpenPartitions: limit(1000, "largest default of --max-open-partitions", "count"),
  minDefaultOpenPartitions: limit(16, "smallest default of --max-open-partitions", "count"),
  readChunkBytes: limit(MiB, "bytes a segment reader reads at once", "bytes"),
  /**
   * A read of a few records at a random offset reads into one buffer of the thread's,
   * reused (storage/read-scratch.ts): a larger read gets a buffer of its own.
   */
  readScratchBytes: limit(64 * 1024, "bytes of the buffer that reads of a few records reuse", "bytes"),
  /**
   * Appends are copied into one buffer of the thread's and written to the segment from
   * there, this many bytes at a time (storage/write-staging.ts says why it is cheaper).
   */
  writeStagingBytes: limit(MiB, "bytes of the buffer that segment writes are copied through", "bytes"),
  /**
   * Rolled segments are mapped into memory for reads (storage/file-mapping.ts): at most
   * this many per thread, well under Linux's default of 65,530 mappings a process; reads
   * of any further segment are preads.
   */
  mappedSegmentsPerThread: limit(4096, "most rolled segments a thread maps into memory for reads", "count"),
  /** Most records of a read that goes through the reused buffer, each field then copied out. */
  readScratchRecords: limit(16, "most records of a read through the reused buffer", "count"),
  /** Recent reads (consumers near the end) are served from memory without a pread or an index lookup. */
  tailCacheBytesPerPartition: limit(MiB, "bytes of the newest records a partition log keeps in memory for reads", "bytes"),
  tailCacheBytesTotal: limit(64 * MiB, "bytes of newest records all partition logs of a process keep in memory together", "bytes"),
  /**
   * Stretches of the offset index kept in memory so that a read at a random offset skips
   * the sqlite lookup (storage/index-chunks.ts): ~5.5 bytes a record in batches, so the
   * default covers some 12M records (1.6 GB of 100-byte messages) across all partitions.
   */
  indexChunkBytes: limit(64 * MiB, "bytes of offset index all partition logs of a process keep in memory for reads", "bytes"),
  recoveryScanChunkBytes: limit(MiB, "bytes read at once while recovering a segment's tail", "bytes"),
  recoveryScanCommitRows: limit(20_000, "index rows per sqlite transaction while recovering", "count"),
  /**
   * A partition log this small keeps its offset index in memory and has no index.sqlite
   * (storage/deferred-index.ts): what it costs in memory per open log, and what an open
   * re-reads of a log with no index file.
   */
  // Records a crash leaves unindexed are re-read from the log on open: at most this many.
  indexWriteBehindEntries: limit(256, "offset index entries a partition log keeps in memory before storing them in one transaction", "count"),
  memoryIndexRecords: limit(128, "most records of a partition log whose index is kept in memory only", "count"),
  memoryIndexBytes: limit(256 * 1024, "most bytes of a partition log whose index is kept in memory only", "bytes"),
  /** What a new log's index file once took at its creation (journal, header and WAL pages). */
  newLogMinFreeBytes: limit(16 * 1024, "free disk space below which a new partition log is refused as STORAGE_FULL", "bytes"),
  /** A broker that is stopping releases its data dir within this; longer means it is stuck. */
  dataDirOwnerExitWaitMs: limit(1000, "wait for the previous owner of a data dir to exit", "ms"),
};

/** Consumer groups (Kafka's group coordinator settings, KIP-345/KIP-394 defaults where they apply). */
export const GROUP_LIMITS = {
  forwardedJoinExtraWaitMs: limit(5_000, "how long a forwarded join may be held beyond the normal call timeout", "ms"),
  sessionTimeoutDefaultMs: limit(10_000, "a member's session timeout when it names none (Kafka: session.timeout.ms)", "ms"),
  /** Kafka bounds session timeouts by group.min/max.session.timeout.ms (6 s and 30 min); 1 s suits tests and small setups. */
  sessionTimeoutMinMs: limit(1_000, "shortest session timeout a member may ask for (Kafka: group.min.session.timeout.ms)", "ms"),
  sessionTimeoutMaxMs: limit(30 * 60_000, "longest session timeout a member may ask for (Kafka: group.max.session.timeout.ms)", "ms"),
  joinWaitMaxMs: limit(10_000, "longest a join may wait for the other members", "ms"),
  commitMetadataMaxLength: limit(4096, "longest metadata of one committed offset (Kafka: offset.metadata.max.bytes)", "count"),
  heartbeatIntervalMaxMs: limit(1_000, "longest heartbeat interval told to a member", "ms"),
  /** Kafka's offsets.topic.num.partitions is 50; fewer suit a small cluster. */
  offsetsTopicPartitions: limit(12, "partitions of the __consumer_offsets topic", "count"),
  replayBatchRecords: limit(1000, "records read per step when replaying committed offsets at start", "count"),
  replayBatchBytes: limit(4 * MiB, "bytes read per step when replaying committed offsets at start", "bytes"),
  metricsSnapshotTtlMs: limit(500, "how long one snapshot of the group gauges serves scrapes", "ms"),
  coordinatorTakeUpWaitMs: limit(3_000, "longest a group call waits while this broker takes up leadership of the group's offsets partition", "ms"),
  coordinatorFindWaitMs: limit(5_000, "longest a group call waits for its coordinator to be found and answer (restarted, catching up, moving)", "ms"),
};

/** Schemas are user input compiled into code: these bound what one may cost. */
export const SCHEMA_LIMITS = {
  maxSchemaBytes: limit(64 * 1024, "largest schema", "bytes"),
  maxSchemaDepth: limit(64, "deepest nesting of a schema", "count"),
  maxSchemaChecks: limit(100_000, "most checks one schema may compile to", "count"),
  /** ajv keeps every schema it compiled while the instance lives: registering in a loop must not grow memory. */
  compilesPerInstance: limit(64, "schemas compiled by one ajv instance before a fresh one is used", "count"),
};

/** The default of maxOpenPartitions for a process allowed `fileLimit` open files (`ulimit -n`). */
export function defaultMaxOpenPartitions(fileLimit: number | null = openFileLimit()): number {
  const most = CORE_LIMITS.maxDefaultOpenPartitions.value;
  if (fileLimit === null) return most;
  const fit = Math.floor((fileLimit - CORE_LIMITS.reservedFiles.value) / CORE_LIMITS.filesPerOpenLog.value);
  return Math.min(most, Math.max(CORE_LIMITS.minDefaultOpenPartitions.value, fit));
}
