import type { ErrorCode } from "../lib/errors.ts";
import type { RecordHeader, StoredRecord } from "../storage/types.ts";
import type { TopicConfig } from "./metadata.ts";

// What an adapter renders comes from the broker, never from storage directly.
export type { RecordHeader, StoredRecord } from "../storage/types.ts";

/**
 * The broker's calls in transport-neutral terms: records are bytes, as the partition
 * log stores them and as the Kafka protocol carries them; an adapter turns its own
 * encoding (JSON strings over HTTP) into these and back.
 */

export interface ProduceRecord {
  key: Uint8Array | null;
  /** null: a Kafka tombstone (no value), distinct from an empty value. */
  value: Uint8Array | null;
  headers: RecordHeader[];
  /** Explicit partition; wins over the key. */
  partition?: number;
  /**
   * Kafka's acks: "all" (the default) answers once every in-sync replica has the record,
   * "1" once the leader wrote it, "0" is the adapter's (no answer waited for).
   */
  acks?: Acks;
  /** The producer's timestamp (ms since the epoch; Kafka's CreateTime); default: when appended. */
  timestamp?: number;
}

export type Acks = "all" | "1" | "0";

export interface ProduceAck {
  partition: number;
  offset: number;
}

export interface ProduceFailure {
  error: ErrorCode;
  message: string;
  details?: unknown;
}

export type ProduceOutcome = ProduceAck | ProduceFailure;

export function isProduceFailure(outcome: ProduceOutcome): outcome is ProduceFailure {
  return (outcome as ProduceFailure).error !== undefined;
}

export interface FetchQuery {
  topic: string;
  partition: number;
  offset: number;
  /** At most this many records (default 500). */
  maxRecords?: number;
  /** At most about this many bytes, but always one record if there is one (default 1 MiB). */
  maxBytes?: number;
  /** With nothing to return, wait this long for an append (0: answer at once). */
  timeoutMs?: number;
  /** Aborts a waiting fetch (the client went away). */
  signal?: AbortSignal;
  /**
   * A look at the records that delivers them to nobody: they are not counted as
   * consumed (the broker's consumed counters measure what reached consumers).
   */
  peek?: boolean;
}

export interface FetchResult {
  records: StoredRecord[];
  /** Offset to ask for next. */
  nextOffset: number;
  /** First offset still kept. */
  startOffset: number;
  /** Next offset to be written (Kafka's high watermark). */
  endOffset: number;
}

export interface TailQuery {
  topic: string;
  partition: number;
  /** First offset to deliver; default: the end (only new records). */
  offset?: number;
  /** Ends the tail (the client went away); its listeners are freed. */
  signal: AbortSignal;
}

export interface Tail {
  /** The first offset the tail delivers. */
  startOffset: number;
  records: AsyncIterable<StoredRecord[]>;
  /** Ends the tail and frees what it holds, whether or not it was ever read. Idempotent. */
  close(): void;
}

/** Where one partition's log starts and ends on its leader, and its size there. */
export interface PartitionRange {
  partition: number;
  startOffset: number;
  endOffset: number;
  sizeBytes: number;
  /** Replicated partitions only: the leader's high watermark (so any broker describes it alike). */
  highWatermark?: number;
}

export interface PartitionDescription {
  partition: number;
  leader: number;
  replicas: number[];
  leaderEpoch: number;
  /** host:port of the leader. */
  broker: string;
  /** Undefined for a partition led by another broker. */
  startOffset?: number;
  endOffset?: number;
  sizeBytes?: number;
  /** Replicated partitions only: the in-sync replicas. */
  isr?: number[];
  /** Replicated partitions led here only: records below it are committed. */
  highWatermark?: number;
}

/** A replicated topic's settings; absent on a topic with one replica (whose shapes stay as before replication). */
export interface TopicReplicationView {
  replicationFactor?: number;
  minInsyncReplicas?: number;
}

export interface TopicDescription extends TopicReplicationView {
  topic: string;
  createdAt: number;
  /** The topic's own settings (absent ones follow the broker's flags). */
  config: TopicConfig;
  partitions: PartitionDescription[];
  /** Newest schema version, or null without a schema. */
  schemaVersion: number | null;
}

export interface ClusterMetadataView {
  version: number;
  brokers: { id: number; address: string }[];
  topics: ({
    topic: string;
    partitions: {
      partition: number;
      leader: number;
      broker: string;
      /** Replicated topics only, as below. */
      replicas?: number[];
      isr?: number[];
      leaderEpoch?: number;
    }[];
  } & TopicReplicationView)[];
}

export interface BrokerHealth {
  status: "ok";
  id: number;
  address: string;
  metadataVersion: number;
  topics: number;
}
