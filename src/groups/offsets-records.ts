/**
 * The records of `__consumer_offsets`. As in Kafka, the key says what a record is about
 * (an offset commit of group/topic/partition, or a group's metadata) and the newest
 * record for a key wins when the log is replayed; an empty value is a tombstone that
 * deletes the key. Keys and values are JSON with a version, so the log stays readable
 * with any record reader and can grow new fields.
 */
import type { RecordInput, StoredRecord } from "../storage/types.ts";

export const RECORD_VERSION = 1;

export interface OffsetValue {
  offset: number;
  metadata: string;
  commitTimestamp: number;
  /**
   * Id of the topic incarnation the offset was committed for: a topic deleted and
   * created again under the same name is another log, where the old offsets mean
   * nothing. Absent in records written before it was kept.
   */
  topicId?: string;
}

export interface GroupMetadataValue {
  generation: number;
  assignor: string | null;
}

export type OffsetsEntry =
  | { kind: "offset"; group: string; topic: string; partition: number; value: OffsetValue | null }
  | { kind: "group"; group: string; value: GroupMetadataValue | null };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeOffsetsEntry(entry: OffsetsEntry, timestamp: number): RecordInput {
  const key =
    entry.kind === "offset"
      ? { v: RECORD_VERSION, kind: entry.kind, group: entry.group, topic: entry.topic, partition: entry.partition }
      : { v: RECORD_VERSION, kind: entry.kind, group: entry.group };
  let value: Uint8Array = new Uint8Array(0);
  if (entry.kind === "offset" && entry.value !== null) {
    const { offset, metadata, commitTimestamp, topicId } = entry.value;
    value = encoder.encode(JSON.stringify({ v: RECORD_VERSION, offset, metadata, commit_timestamp: commitTimestamp, topic_id: topicId }));
  } else if (entry.kind === "group" && entry.value !== null) {
    const { generation, assignor } = entry.value;
    value = encoder.encode(JSON.stringify({ v: RECORD_VERSION, generation, assignor }));
  }
  return { key: encoder.encode(JSON.stringify(key)), value, headers: [], timestamp };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isOffset(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** The entry a stored record holds, or a sentence saying why it is not one. */
export function decodeOffsetsRecord(record: StoredRecord): OffsetsEntry | string {
  if (record.key === null) return "record has no key";
  let key: unknown;
  let value: unknown = null;
  try {
    key = JSON.parse(decoder.decode(record.key));
    // Null or empty (as older brokers wrote it): a tombstone.
    if (record.value !== null && record.value.length > 0) value = JSON.parse(decoder.decode(record.value));
  } catch {
    return "record is not UTF-8 JSON";
  }
  if (!isObject(key) || typeof key.group !== "string") return "record key has no group";
  if (value !== null && !isObject(value)) return "record value is not an object";
  if (key.kind === "offset") {
    if (typeof key.topic !== "string" || !isOffset(key.partition)) return "offset key has no topic or partition";
    if (value === null) return { kind: "offset", group: key.group, topic: key.topic, partition: key.partition, value: null };
    // Any integer: a Kafka client may commit -1 or -2 (kafkajs's resetOffsets), which Kafka stores as given.
    if (typeof value.offset !== "number" || !Number.isSafeInteger(value.offset) || typeof value.commit_timestamp !== "number") return "offset value has no offset";
    return {
      kind: "offset",
      group: key.group,
      topic: key.topic,
      partition: key.partition,
      value: {
        offset: value.offset,
        metadata: typeof value.metadata === "string" ? value.metadata : "",
        commitTimestamp: value.commit_timestamp,
        ...(typeof value.topic_id === "string" ? { topicId: value.topic_id } : {}),
      },
    };
  }
  if (key.kind === "group") {
    if (value === null) return { kind: "group", group: key.group, value: null };
    if (!isOffset(value.generation)) return "group value has no generation";
    return {
      kind: "group",
      group: key.group,
      value: { generation: value.generation, assignor: typeof value.assignor === "string" ? value.assignor : null },
    };
  }
  return `unknown record kind ${JSON.stringify(key.kind)}`;
}
