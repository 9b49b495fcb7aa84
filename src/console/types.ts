/**
 * The answers of the public HTTP API the console reads, as the OpenAPI document at
 * /swagger/json describes them. Fields the API may gain (replication: `isr`,
 * `under_replicated`, …) are optional so the views light up when they appear.
 */

export interface ErrorAnswer {
  error: string;
  message: string;
  details?: unknown;
}

export interface ClusterBroker {
  id: number | null;
  address: string;
  alive: boolean;
  controller: boolean;
  self: boolean;
  metadata_version: number | null;
  last_heartbeat_ms: number | null;
  /** Not in today's API: a fenced broker (KRaft) once replication lands. */
  fenced?: boolean;
  /** Not in today's API. */
  disk_bytes?: number;
}

export interface ClusterAnswer {
  broker: number;
  controller: number;
  metadata_version: number;
  brokers: ClusterBroker[];
  /** Not in today's API: the quorum leader once the Raft metadata log lands. */
  quorum_leader?: number;
}

/** One broker's counters in GET /cluster/metrics (totals since it started). */
export interface BrokerCounters {
  produced_total: number;
  consumed_total: number;
  bytes_in_total: number;
  bytes_out_total: number;
  produced_by_topic: Record<string, number>;
  consumed_by_topic: Record<string, number>;
  disk_bytes: number;
  partition_logs: number;
}

export interface ClusterMetricsAnswer {
  broker: number;
  brokers: Array<{ id: number | null; address: string; self: boolean; alive: boolean; error: string | null; metrics: BrokerCounters | null }>;
}

/** One topic of GET /topics?details=true. */
export interface TopicTotals {
  topic: string;
  created_at: number;
  schema_version: number | null;
  partitions: number;
  replication_factor: number;
  messages: number;
  size_bytes: number;
  unreported_partitions: number;
}

export interface TopicsDetailsAnswer {
  topics: string[];
  /** Names matching `contains` on every page. */
  total: number;
  details: TopicTotals[];
}

export interface MetadataPartition {
  partition: number;
  broker: string;
  leader: number;
  replicas?: number[];
  isr?: number[];
}

export interface MetadataAnswer {
  topic_partitions: Record<string, { partitions: MetadataPartition[] }>;
  brokers: Array<{ id: number; address: string }>;
  version: number;
}

export interface TopicPartition {
  partition: number;
  leader: number;
  replicas: number[];
  leader_epoch: number;
  broker: string;
  start_offset?: number;
  end_offset?: number;
  size_bytes?: number;
  /** Not in today's API. */
  isr?: number[];
  /** Not in today's API. */
  high_watermark?: number;
}

export interface TopicAnswer {
  topic: string;
  created_at: number;
  schema_version: number | null;
  partitions: TopicPartition[];
  /** Each setting in effect and where it comes from (brokers from before topic settings omit it). */
  config?: Record<string, TopicSetting>;
  replication_factor?: number;
  min_insync_replicas?: number;
}

export interface TopicSetting {
  /** null: kept forever. */
  value: number | null;
  source: "topic" | "broker" | "default";
}

export interface ConsoleRecord {
  offset: number;
  key: string | null;
  /** null: a tombstone (no value). */
  message: string | null;
  headers: Record<string, string>;
  timestamp: number;
  /** The value's exact bytes (base64) when they are not UTF-8: `message` then has U+FFFD in their place. */
  message_base64?: string;
  /** The key's exact bytes, likewise. */
  key_base64?: string;
  /** Every header in order, when `headers` cannot show them exactly (a key twice, a null or non-UTF-8 value). */
  header_list?: HeaderEntry[];
}

export interface HeaderEntry {
  key: string;
  /** null: a header without a value. */
  value: string | null;
  /** The value's exact bytes when they are not UTF-8. */
  value_base64?: string;
}

export interface RecordsAnswer {
  topic: string;
  partition: number;
  records: ConsoleRecord[];
  next_offset: number;
  start_offset: number;
  end_offset: number;
}

export interface SchemaVersion {
  version: number;
  schema: unknown;
  registered_at: number;
}

export interface SchemasAnswer {
  topic: string;
  versions: SchemaVersion[];
}

export interface GroupSummary {
  group: string;
  state: string;
  generation: number;
  members: number;
  coordinator: number;
}

export interface GroupsAnswer {
  groups: GroupSummary[];
  unreachable_brokers: number[];
}

export interface GroupMember {
  member_id: string;
  client_id: string;
  topics: string[];
  session_timeout_ms: number;
  auto_offset_reset: string;
  assignments: Array<{ topic: string; partition: number }>;
  last_seen: number;
}

export interface GroupPartition {
  topic: string;
  partition: number;
  member_id: string | null;
  committed_offset: number | null;
  end_offset: number | null;
  lag: number | null;
}

export interface GroupAnswer {
  group: string;
  state: string;
  generation: number;
  assignor: string | null;
  coordinator: { id: number; address: string };
  members: GroupMember[];
  partitions: GroupPartition[];
}

export interface ProduceAnswer {
  offset: number;
  partition: number;
}
