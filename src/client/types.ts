/**
 * The shapes of the broker's HTTP answers, as ../shared/DESIGN.md ("HTTP API") fixes
 * them. Field names are the wire's (snake_case where the seed used it).
 */

export type Headers = Record<string, string>;

export interface CreateTopicResult {
  status: "created" | "exists";
}

export interface PartitionPlacement {
  partition: number;
  /** `host:port` of the partition's leader. */
  broker: string;
  /** Broker id of the leader (beyond the seed's shape). */
  leader?: number;
}

export interface Metadata {
  topic_partitions: Record<string, { partitions: PartitionPlacement[] }>;
  /** Every broker of the cluster (beyond the seed's shape). */
  brokers?: Array<{ id: number; address: string }>;
}

export interface ProduceOptions {
  partition?: number;
  key?: string;
  headers?: Headers;
}

export interface ProduceResult {
  offset: number;
  partition: number;
}

export interface BatchMessage extends ProduceOptions {
  message: string;
}

/** One message of a batch that the broker refused, the rest of the batch being written. */
export interface BatchItemError {
  error: string;
  message: string;
  details?: unknown;
}

export type BatchItemResult = ProduceResult | BatchItemError;

export function isBatchItemError(item: BatchItemResult): item is BatchItemError {
  return "error" in item;
}

export interface ConsumeResult {
  offset: number;
  message: string;
  /** With `max`: every record read, and where to go on. */
  messages?: RecordView[];
  next_offset?: number;
}

export interface ReadOptions {
  offset: number;
  /** Most records in one answer. */
  max?: number;
  maxBytes?: number;
  /** How long the broker may wait for a first record before answering empty. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RecordView {
  offset: number;
  key: string | null;
  /** null: a tombstone (the record has no value), distinct from "". */
  message: string | null;
  headers: Headers;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

export interface ReadResult {
  topic: string;
  partition: number;
  records: RecordView[];
  /** Offset to ask for next. */
  next_offset: number;
  /** First offset still kept. */
  start_offset: number;
  /** Next offset to be written (Kafka's high watermark). */
  end_offset: number;
}

export interface PartitionDescription {
  partition: number;
  /** Broker id of the leader. */
  leader: number;
  replicas: number[];
  leader_epoch: number;
  /** `host:port` of the leader. */
  broker: string;
  /** Offsets and size are known for the partitions of the broker that answered. */
  start_offset?: number;
  end_offset?: number;
  size_bytes?: number;
  /** Replicated topics: the in-sync replicas. */
  isr?: number[];
  /** Replicated topics, partitions led by the answering broker: records below it are committed. */
  high_watermark?: number;
}

export interface TopicDescription {
  topic: string;
  /** Milliseconds since the epoch. */
  created_at: number;
  /** Newest schema version; null without a schema. */
  schema_version: number | null;
  partitions: PartitionDescription[];
  /** Replicated topics (factor above 1) only. */
  replication_factor?: number;
  min_insync_replicas?: number;
  /** The settings in effect and where each comes from (brokers from before topic settings omit it). */
  config?: TopicConfigView;
}

export interface TopicSettingView {
  /** null: kept forever. */
  value: number | null;
  source: "topic" | "broker" | "default";
}

export interface TopicConfigView {
  retention_ms: TopicSettingView;
  retention_bytes: TopicSettingView;
}

/** Replication and settings asked of a new topic; absent fields take the brokers' defaults. */
export interface TopicReplicationOptions {
  replicationFactor?: number;
  minInsyncReplicas?: number;
  retentionMs?: number;
  retentionBytes?: number;
}

/** A topic's settings to change: a number sets one, null unsets it (the broker's applies). */
export interface TopicConfigPatch {
  retentionMs?: number | null;
  retentionBytes?: number | null;
}

export interface SchemaVersion {
  version: number;
  schema: Record<string, unknown> | boolean;
  /** Milliseconds since the epoch. */
  registered_at: number;
}

export interface SchemasResult {
  topic: string;
  versions: SchemaVersion[];
}

export interface HealthResult {
  status: "ok";
  id: number;
  /** `host:port` the broker announces. */
  address: string;
  version: string;
  metadata_version: number;
  topics: number;
}
