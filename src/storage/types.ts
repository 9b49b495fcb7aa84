import { CORE, CORE_LIMITS } from "../config/core.ts";
/** What the partition log stores and hands back; bytes in, bytes out. */
export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

export interface RecordInput {
  key: Uint8Array | null;
  /** null: no value at all (a Kafka tombstone), which is not the empty value. */
  value: Uint8Array | null;
  headers: RecordHeader[];
  /** Milliseconds since the epoch. */
  timestamp: number;
}

export interface StoredRecord extends RecordInput {
  offset: number;
}

export type FsyncMode = "always" | "interval" | "never";

/**
 * "log-end": the high watermark follows every append (one replica: written is committed).
 * "explicit": appends leave it alone; the replication layer sets it (see high-watermark.ts).
 */
export type HighWatermarkMode = "log-end" | "explicit";

/** How far a read may go: consumers stop at the high watermark, follower fetches at the log end. */
export interface ReadOptions {
  upTo?: "high-watermark" | "log-end";
}

export interface LogOptions {
  /** Roll to a new segment once the active one reaches this many bytes. */
  segmentBytes: number;
  fsync: FsyncMode;
  /** With fsync "interval": flush at most this long after an append. */
  fsyncIntervalMs: number;
  /** Delete whole segments whose newest record is older than this; undefined keeps forever. */
  retentionMs?: number;
  /** Delete oldest whole segments while the log is larger than this; undefined: no limit. */
  retentionBytes?: number;
  /** Largest encoded record the log accepts. */
  maxRecordBytes: number;
  highWatermark: HighWatermarkMode;
  /** Explicit mode: checkpoint a moving high watermark at most this often (Kafka: 5 s). */
  highWatermarkCheckpointMs: number;
  /**
   * Keep the offset index of a small log in memory, with no index.sqlite, until the log
   * outgrows CORE_LIMITS.memoryIndexRecords / memoryIndexBytes (see deferred-index.ts).
   */
  deferIndex?: boolean;
  /** Read rolled segments through a mapping of their files (file-mapping.ts); false: every read is a pread. */
  mappedReads?: boolean;
  /**
   * Offset index entries kept in memory before they are stored, in one transaction
   * (write-behind-index.ts); default CORE_LIMITS.indexWriteBehindEntries. 1 stores each
   * write group's entries with it.
   */
  indexBatchEntries?: number;
}

export const DEFAULT_LOG_OPTIONS: LogOptions = {
  segmentBytes: CORE.segmentBytes.default,
  fsync: CORE.fsync.default,
  fsyncIntervalMs: CORE_LIMITS.fsyncIntervalMs.value,
  maxRecordBytes: CORE_LIMITS.maxRecordBytes.value,
  highWatermark: "log-end",
  highWatermarkCheckpointMs: 5000,
};

export interface AppendResult {
  baseOffset: number;
  /** Offset of the last record of the batch. */
  lastOffset: number;
}
