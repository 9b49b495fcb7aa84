/**
 * Committed offsets of the groups that hash to one partition of `__consumer_offsets`,
 * kept in memory and persisted by appending to that partition's log. On open the store
 * replays the log from its start (Kafka's coordinator "loads" an offsets partition the
 * same way when it becomes its leader), the newest record per key winning.
 */
import type { AppendResult, RecordInput, StoredRecord } from "../storage/types.ts";
import { compareTopicPartitions } from "./assignor.ts";
import type { GroupMetadataValue, OffsetsEntry, OffsetValue } from "./offsets-records.ts";
import { decodeOffsetsRecord, encodeOffsetsEntry } from "./offsets-records.ts";
import type { CommittedOffset, TopicPartition } from "./types.ts";
import { GROUP_LIMITS } from "../config/core.ts";

/** What the store needs of a partition log (src/storage/partition-log.ts provides it). */
export interface OffsetsLog {
  append(records: RecordInput[]): Promise<AppendResult>;
  read(offset: number, maxRecords: number, maxBytes: number): StoredRecord[];
  readonly startOffset: number;
  readonly endOffset: number;
}

export type Warn = (message: string) => void;

export interface CommitEntry extends TopicPartition {
  offset: number;
  metadata: string;
  /** The topic incarnation the offset belongs to (see OffsetValue.topicId). */
  topicId?: string;
}

const REPLAY_BATCH_RECORDS = GROUP_LIMITS.replayBatchRecords.value;
const REPLAY_BATCH_BYTES = GROUP_LIMITS.replayBatchBytes.value;

interface GroupOffsets {
  /** topic -> partition -> newest committed value. */
  topics: Map<string, Map<number, OffsetValue>>;
  metadata: GroupMetadataValue | undefined;
}

export class OffsetStore {
  private readonly groupsById = new Map<string, GroupOffsets>();
  /** Records read on open, for the broker's start-up log line. */
  replayedRecords = 0;
  skippedRecords = 0;

  private constructor(
    readonly log: OffsetsLog,
    private readonly warn: Warn,
  ) {}

  /** Opens the store over `log` and rebuilds its state by replaying it. */
  static open(log: OffsetsLog, warn: Warn = () => {}): OffsetStore {
    const store = new OffsetStore(log, warn);
    store.replay();
    return store;
  }

  private replay(): void {
    let offset = this.log.startOffset;
    const end = this.log.endOffset;
    while (offset < end) {
      let batch: StoredRecord[];
      try {
        batch = this.log.read(offset, REPLAY_BATCH_RECORDS, REPLAY_BATCH_BYTES);
      } catch (error) {
        // Older offsets make a group re-read messages (at least once); refusing to load
        // would stop every group of this partition, so go on with what was readable.
        this.warn(
          `__consumer_offsets: replay stopped at offset ${offset}: ${error instanceof Error ? error.message : String(error)}`,
        );
        return;
      }
      if (batch.length === 0) return;
      for (const record of batch) {
        const entry = decodeOffsetsRecord(record);
        if (typeof entry === "string") {
          this.skippedRecords++;
          this.warn(`__consumer_offsets: skipping record at offset ${record.offset}: ${entry}`);
        } else {
          this.apply(entry);
          this.replayedRecords++;
        }
      }
      offset = batch[batch.length - 1].offset + 1;
    }
  }

  private apply(entry: OffsetsEntry): void {
    let group = this.groupsById.get(entry.group);
    if (entry.kind === "group") {
      if (entry.value !== null) {
        if (!group) this.groupsById.set(entry.group, (group = { topics: new Map(), metadata: undefined }));
        group.metadata = entry.value;
      } else if (group) {
        group.metadata = undefined;
        this.dropIfEmpty(entry.group, group);
      }
      return;
    }
    if (entry.value === null) {
      const partitions = group?.topics.get(entry.topic);
      if (!group || !partitions) return;
      partitions.delete(entry.partition);
      if (partitions.size === 0) group.topics.delete(entry.topic);
      this.dropIfEmpty(entry.group, group);
      return;
    }
    if (!group) this.groupsById.set(entry.group, (group = { topics: new Map(), metadata: undefined }));
    let partitions = group.topics.get(entry.topic);
    if (!partitions) group.topics.set(entry.topic, (partitions = new Map()));
    partitions.set(entry.partition, entry.value);
  }

  private dropIfEmpty(id: string, group: GroupOffsets): void {
    if (group.topics.size === 0 && group.metadata === undefined) this.groupsById.delete(id);
  }

  /** Groups with committed offsets or stored metadata. */
  groupIds(): string[] {
    return [...this.groupsById.keys()].sort();
  }

  hasGroup(group: string): boolean {
    return this.groupsById.has(group);
  }

  metadataOf(group: string): GroupMetadataValue | undefined {
    return this.groupsById.get(group)?.metadata;
  }

  committed(group: string, topic: string, partition: number): CommittedOffset | undefined {
    const value = this.groupsById.get(group)?.topics.get(topic)?.get(partition);
    return value && { topic, partition, ...value };
  }

  /** Every committed offset of `group`, sorted by topic then partition. */
  offsetsOf(group: string): CommittedOffset[] {
    const entry = this.groupsById.get(group);
    if (!entry) return [];
    const out: CommittedOffset[] = [];
    for (const [topic, partitions] of entry.topics)
      for (const [partition, value] of partitions) out.push({ topic, partition, ...value });
    return out.sort(compareTopicPartitions);
  }

  /**
   * Persists the commits as one append (one write for the whole request), then makes them
   * visible; a commit that could not be written is never visible.
   */
  async commit(group: string, entries: CommitEntry[], now: number): Promise<CommittedOffset[]> {
    if (entries.length === 0) return [];
    const applied: OffsetsEntry[] = entries.map((e) => ({
      kind: "offset",
      group,
      topic: e.topic,
      partition: e.partition,
      value: { offset: e.offset, metadata: e.metadata, commitTimestamp: now, ...(e.topicId === undefined ? {} : { topicId: e.topicId }) },
    }));
    await this.write(applied, now);
    return entries.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.offset, metadata: e.metadata, commitTimestamp: now }));
  }

  async saveMetadata(group: string, value: GroupMetadataValue, now: number): Promise<void> {
    await this.write([{ kind: "group", group, value }], now);
  }

  /**
   * Writes tombstones for the group's offsets (of `topics` only, when given) and, when
   * `metadataToo`, for its metadata; returns the partitions whose offsets were deleted.
   */
  async deleteOffsets(group: string, topics: readonly string[] | undefined, metadataToo: boolean, now: number): Promise<TopicPartition[]> {
    const doomed = this.offsetsOf(group)
      .filter((o) => topics === undefined || topics.includes(o.topic))
      .map(({ topic, partition }) => ({ topic, partition }));
    const tombstones: OffsetsEntry[] = doomed.map((tp) => ({ kind: "offset", group, ...tp, value: null }));
    if (metadataToo && this.metadataOf(group) !== undefined) tombstones.push({ kind: "group", group, value: null });
    await this.write(tombstones, now);
    return doomed;
  }

  /** Writes tombstones for exactly these partitions' offsets of `group` (those it has). */
  async deletePartitions(group: string, partitions: readonly TopicPartition[], now: number): Promise<void> {
    const doomed = partitions.filter((tp) => this.committed(group, tp.topic, tp.partition) !== undefined);
    await this.write(doomed.map((tp) => ({ kind: "offset", group, topic: tp.topic, partition: tp.partition, value: null })), now);
  }

  private async write(entries: OffsetsEntry[], now: number): Promise<void> {
    if (entries.length === 0) return;
    await this.log.append(entries.map((e) => encodeOffsetsEntry(e, now)));
    // Appends to one log are acknowledged in log order, so applying on acknowledgement
    // keeps memory equal to what a replay of the log would build.
    for (const entry of entries) this.apply(entry);
  }
}
