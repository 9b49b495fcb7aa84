/**
 * The group coordinator of one broker: it serves the groups that hash to the partitions
 * of `__consumer_offsets` this broker leads (Kafka's GroupCoordinator), each partition's
 * groups and committed offsets kept together in a shard rebuilt from that partition's
 * log when it is loaded. A request for a group whose partition is not loaded here is
 * refused with NOT_COORDINATOR, so the caller (the broker) forwards it to the leader.
 *
 * Transport-free: the broker supplies topic metadata and the logs; HTTP maps onto it.
 */
import { StreamNestError } from "../lib/errors.ts";
import type { AssignorName } from "./assignors.ts";
import { ASSIGNOR_NAMES, isAssignorName } from "./assignors.ts";
import type { GroupHooks, MemberJoin, RemovalReason } from "./consumer-group.ts";
import { ConsumerGroup } from "./consumer-group.ts";
import { assertGroupId } from "./group-id.ts";
import type { OffsetsLog, Warn } from "./offset-store.ts";
import { OffsetStore } from "./offset-store.ts";
import { isInternalTopic, offsetsPartitionFor } from "./offsets-topic.ts";
import type {
  AutoOffsetReset,
  CommitParams,
  CommittedOffset,
  GroupDescription,
  GroupSummary,
  HeartbeatResult,
  JoinParams,
  JoinResult,
  TopicPartition,
} from "./types.ts";
import { GROUP_LIMITS } from "../config/core.ts";

export const DEFAULT_SESSION_TIMEOUT_MS = GROUP_LIMITS.sessionTimeoutDefaultMs.value;
/** Kafka bounds session timeouts by group.min/max.session.timeout.ms (6 s and 30 min). */
export const MIN_SESSION_TIMEOUT_MS = GROUP_LIMITS.sessionTimeoutMinMs.value;
export const MAX_SESSION_TIMEOUT_MS = GROUP_LIMITS.sessionTimeoutMaxMs.value;
/** A join never waits longer than this for the rest of the group. */
export const MAX_JOIN_WAIT_MS = GROUP_LIMITS.joinWaitMaxMs.value;
/** Kafka's offset.metadata.max.bytes. */
export const MAX_COMMIT_METADATA_LENGTH = GROUP_LIMITS.commitMetadataMaxLength.value;
const MAX_HEARTBEAT_INTERVAL_MS = GROUP_LIMITS.heartbeatIntervalMaxMs.value;

export interface GroupCoordinatorOptions {
  /** Partition count of `__consumer_offsets`. */
  offsetsPartitions: number;
  /** Partition count of a topic, undefined when there is no such topic. */
  partitionsOf(topic: string): number | undefined;
  /** Id of the topic's current incarnation; offsets committed for another one are void. */
  topicIdOf?(topic: string): string | undefined;
  /**
   * Checks the offsets of a commit the group has accepted against the partitions' logs
   * (which only the broker can see), before it is written; throws to refuse it.
   */
  checkCommitOffsets?(offsets: ReadonlyArray<TopicPartition & { offset: number }>): Promise<void>;
  now?: () => number;
  /** How often to look for expired sessions; 0 leaves it to `expireMembers()` calls. */
  expiryCheckMs?: number;
  warn?: Warn;
  onMemberRemoved?(group: string, memberId: string, reason: RemovalReason): void;
}

interface Shard {
  store: OffsetStore;
  groups: Map<string, ConsumerGroup>;
  /** Metadata writes in flight, in order, so `flush()` can wait for them. */
  pending: Promise<void>;
}

export class GroupCoordinator {
  private readonly shards = new Map<number, Shard>();
  private readonly now: () => number;
  private readonly warn: Warn;
  private readonly timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: GroupCoordinatorOptions) {
    if (!Number.isSafeInteger(options.offsetsPartitions) || options.offsetsPartitions < 1)
      throw new StreamNestError("INVALID_PARTITIONS", `__consumer_offsets needs at least one partition, not ${options.offsetsPartitions}`);
    this.now = options.now ?? Date.now;
    this.warn = options.warn ?? (() => {});
    const every = options.expiryCheckMs ?? 250;
    if (every > 0) {
      this.timer = setInterval(() => this.expireMembers(), every);
      this.timer.unref?.();
    }
  }

  get offsetsPartitions(): number {
    return this.options.offsetsPartitions;
  }

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.options.offsetsPartitions);
  }

  isCoordinatorFor(groupId: string): boolean {
    return this.shards.has(this.partitionFor(groupId));
  }

  loadedPartitions(): number[] {
    return [...this.shards.keys()].sort((a, b) => a - b);
  }

  /** Becomes coordinator of the groups of `partition`, rebuilding them from its log. */
  loadPartition(partition: number, log: OffsetsLog): OffsetStore {
    if (this.shards.has(partition)) throw new Error(`__consumer_offsets-${partition} is already loaded`);
    const store = OffsetStore.open(log, this.warn);
    const shard: Shard = { store, groups: new Map(), pending: Promise.resolve() };
    for (const id of store.groupIds()) {
      const meta = store.metadataOf(id);
      shard.groups.set(id, this.newGroup(shard, id, meta?.generation ?? 0, meta?.assignor ?? null));
    }
    this.shards.set(partition, shard);
    return store;
  }

  /** Stops coordinating `partition`'s groups (their members will rejoin elsewhere). */
  unloadPartition(partition: number): void {
    const shard = this.shards.get(partition);
    if (!shard) return;
    this.shards.delete(partition);
    for (const group of shard.groups.values()) group.releaseWaiters();
  }

  /** Resolves once every metadata write so far has reached the log. */
  async flush(): Promise<void> {
    await Promise.all([...this.shards.values()].map((s) => s.pending));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const partition of this.loadedPartitions()) this.unloadPartition(partition);
  }

  private newGroup(shard: Shard, id: string, generation: number, assignor: string | null): ConsumerGroup {
    const hooks: GroupHooks = {
      partitionsOf: (topic) => this.options.partitionsOf(topic),
      topicIdOf: (topic) => this.options.topicIdOf?.(topic),
      onGeneration: (group) => {
        // Kafka persists the group's metadata on every generation; here it keeps
        // generations increasing across coordinator restarts.
        const value = { generation: group.generation, assignor: group.assignor };
        shard.pending = shard.pending
          .then(() => shard.store.saveMetadata(group.id, value, this.now()))
          .catch((error: unknown) =>
            this.warn(`group ${group.id}: could not persist generation ${value.generation}: ${String(error)}`),
          );
      },
      onRemoved: (group, memberId, reason) => this.options.onMemberRemoved?.(group.id, memberId, reason),
    };
    return new ConsumerGroup(id, generation, assignor !== null && isAssignorName(assignor) ? assignor : null, hooks);
  }

  private shardFor(groupId: string): Shard {
    assertGroupId(groupId);
    const partition = this.partitionFor(groupId);
    const shard = this.shards.get(partition);
    if (!shard)
      throw new StreamNestError(
        "NOT_COORDINATOR",
        `this broker is not the coordinator of group "${groupId}" (__consumer_offsets partition ${partition})`,
        { partition },
      );
    return shard;
  }

  /** The group, if it has members or anything stored. */
  private existing(shard: Shard, groupId: string): ConsumerGroup | undefined {
    const group = shard.groups.get(groupId);
    if (group && (group.members.size > 0 || shard.store.hasGroup(groupId))) return group;
    return undefined;
  }

  private requireGroup(shard: Shard, groupId: string): ConsumerGroup {
    const group = this.existing(shard, groupId);
    if (!group) throw new StreamNestError("GROUP_NOT_FOUND", `there is no consumer group "${groupId}"`);
    return group;
  }

  /** A topic named by the caller; offsets of one that was deleted went with it. */
  private requireTopic(topic: string): void {
    if (this.options.partitionsOf(topic) === undefined) throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${topic}" does not exist`);
  }

  private checkTopicPartition(topic: string, partition: number): void {
    const count = this.options.partitionsOf(topic);
    if (count === undefined) throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${topic}" does not exist`);
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= count)
      throw new StreamNestError(
        "PARTITION_OUT_OF_RANGE",
        `topic "${topic}" has partitions 0..${count - 1}; there is no partition ${partition}`,
      );
  }

  private normalizeJoin(req: JoinParams): MemberJoin & { waitMs: number } {
    if (!Array.isArray(req.topics) || req.topics.length === 0)
      throw new StreamNestError("INVALID_REQUEST", "a member must subscribe to at least one topic");
    const topics = [...new Set(req.topics)].sort();
    for (const topic of topics) {
      if (isInternalTopic(topic)) throw new StreamNestError("INVALID_REQUEST", `"${topic}" is an internal topic`);
      if (this.options.partitionsOf(topic) === undefined)
        throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${topic}" does not exist`);
    }
    let assignor: AssignorName | undefined;
    if (req.assignor !== undefined) {
      if (!isAssignorName(req.assignor))
        throw new StreamNestError("INVALID_REQUEST", `unknown assignor "${req.assignor}"; use one of: ${ASSIGNOR_NAMES.join(", ")}`);
      assignor = req.assignor;
    }
    const sessionTimeoutMs = req.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    if (!Number.isSafeInteger(sessionTimeoutMs) || sessionTimeoutMs < MIN_SESSION_TIMEOUT_MS || sessionTimeoutMs > MAX_SESSION_TIMEOUT_MS)
      throw new StreamNestError(
        "INVALID_REQUEST",
        `the session timeout (ms) must be an integer from ${MIN_SESSION_TIMEOUT_MS} to ${MAX_SESSION_TIMEOUT_MS}, not ${sessionTimeoutMs}`,
      );
    const rebalanceTimeoutMs = req.rebalanceTimeoutMs ?? sessionTimeoutMs;
    if (!Number.isSafeInteger(rebalanceTimeoutMs) || rebalanceTimeoutMs < MIN_SESSION_TIMEOUT_MS || rebalanceTimeoutMs > MAX_SESSION_TIMEOUT_MS)
      throw new StreamNestError(
        "INVALID_REQUEST",
        `the rebalance timeout (ms) must be an integer from ${MIN_SESSION_TIMEOUT_MS} to ${MAX_SESSION_TIMEOUT_MS}, not ${rebalanceTimeoutMs}`,
      );
    const autoOffsetReset: AutoOffsetReset = req.autoOffsetReset ?? "earliest";
    if (autoOffsetReset !== "earliest" && autoOffsetReset !== "latest")
      throw new StreamNestError("INVALID_REQUEST", `the offset reset must be "earliest" or "latest", not "${String(autoOffsetReset)}"`);
    const waitMs = req.waitMs ?? 0;
    if (!Number.isSafeInteger(waitMs) || waitMs < 0)
      throw new StreamNestError("INVALID_REQUEST", `the join wait (ms) must be a non-negative integer, not ${waitMs}`);
    const clientId = req.clientId ?? "consumer";
    if (clientId.length > 255 || !/^[\x21-\x7e]*$/.test(clientId))
      throw new StreamNestError("INVALID_REQUEST", "client_id must be at most 255 printable ASCII characters without spaces");
    return {
      // Kafka's first JoinGroup carries an empty member id: a client may send one too.
      memberId: req.memberId === "" ? undefined : req.memberId,
      newMemberId: () => `${clientId || "consumer"}-${crypto.randomUUID()}`,
      clientId,
      topics,
      assignor,
      sessionTimeoutMs,
      rebalanceTimeoutMs,
      autoOffsetReset,
      // A waiting member must not miss its own session while it waits.
      waitMs: Math.min(waitMs, MAX_JOIN_WAIT_MS, Math.floor(sessionTimeoutMs / 2)),
    };
  }

  /**
   * Joins (no member id) or rejoins (the id it was given). Answers with the member's
   * partitions once the group is stable; while other members have yet to rejoin it
   * waits up to `waitMs`, then answers state PreparingRebalance and no partitions, and
   * the member rejoins.
   */
  async join(groupId: string, req: JoinParams): Promise<JoinResult> {
    const shard = this.shardFor(groupId);
    const join = this.normalizeJoin(req);
    if (join.memberId !== undefined && !this.existing(shard, groupId))
      throw new StreamNestError("UNKNOWN_MEMBER_ID", `group "${groupId}" has no member "${join.memberId}"; join again without a member id`);
    let group = shard.groups.get(groupId);
    if (!group) shard.groups.set(groupId, (group = this.newGroup(shard, groupId, 0, null)));
    const member = group.join(join, this.now());
    if (!group.isSettled(member.memberId) && join.waitMs > 0) {
      await group.waitForGeneration(join.waitMs);
      if (this.shards.get(this.partitionFor(groupId)) !== shard)
        throw new StreamNestError("NOT_COORDINATOR", `this broker stopped coordinating group "${groupId}"`);
    }
    const current = group.members.get(member.memberId);
    if (!current)
      throw new StreamNestError("UNKNOWN_MEMBER_ID", `member "${member.memberId}" was removed from group "${groupId}" while it waited`);
    current.lastSeen = Math.max(current.lastSeen, this.now());
    const settled = group.isSettled(current.memberId);
    return {
      memberId: current.memberId,
      generation: group.generation,
      state: settled ? "Stable" : "PreparingRebalance",
      assignor: group.assignor ?? "range",
      assignments: settled ? current.assignments.map((a) => ({ ...a })) : [],
      heartbeatIntervalMs: heartbeatInterval(current.sessionTimeoutMs),
      sessionTimeoutMs: current.sessionTimeoutMs,
      autoOffsetReset: current.autoOffsetReset,
    };
  }

  /** Keeps the member's session; throws REBALANCE_IN_PROGRESS / ILLEGAL_GENERATION when it must rejoin. */
  heartbeat(groupId: string, memberId: string, generation: number): HeartbeatResult {
    const group = this.requireGroup(this.shardFor(groupId), groupId);
    group.heartbeat(memberId, generation, this.now());
    const member = group.members.get(memberId)!;
    return { generation: group.generation, state: group.state, heartbeatIntervalMs: heartbeatInterval(member.sessionTimeoutMs) };
  }

  leave(groupId: string, memberId: string): void {
    const group = this.requireGroup(this.shardFor(groupId), groupId);
    group.leave(memberId, this.now());
  }

  /** Persists the offsets if the member may commit them (see ConsumerGroup.checkCommit). */
  async commit(groupId: string, req: CommitParams): Promise<CommittedOffset[]> {
    const shard = this.shardFor(groupId);
    if (!Array.isArray(req.offsets) || req.offsets.length === 0)
      throw new StreamNestError("INVALID_REQUEST", "offsets must list at least one partition");
    const seen = new Set<string>();
    for (const o of req.offsets) {
      this.checkTopicPartition(o.topic, o.partition);
      // A Kafka commit (anyOffset) stores any integer, as Kafka does: kafkajs resets a group
      // to the earliest offset by committing -2 (found with real clients: it was refused).
      if (!Number.isSafeInteger(o.offset) || (o.offset < 0 && req.anyOffset !== true))
        throw new StreamNestError("INVALID_OFFSET", `offset for ${o.topic}/${o.partition} must be a non-negative integer, not ${o.offset}`);
      if ((o.metadata ?? "").length > MAX_COMMIT_METADATA_LENGTH)
        throw new StreamNestError("INVALID_REQUEST", `commit metadata is limited to ${MAX_COMMIT_METADATA_LENGTH} characters`);
      const key = `${o.topic}\u0000${o.partition}`;
      if (seen.has(key)) throw new StreamNestError("INVALID_REQUEST", `${o.topic}/${o.partition} appears twice in one commit`);
      seen.add(key);
    }
    let group = this.existing(shard, groupId);
    if (!group) {
      if (req.memberId !== undefined)
        throw new StreamNestError("GROUP_NOT_FOUND", `there is no consumer group "${groupId}"; join it first`);
      group = shard.groups.get(groupId);
      if (!group) shard.groups.set(groupId, (group = this.newGroup(shard, groupId, 0, null)));
    }
    group.checkCommit(req.memberId, req.generation, req.offsets, this.now());
    if (this.options.checkCommitOffsets && req.anyOffset !== true) {
      await this.options.checkCommitOffsets(req.offsets);
      // The group may have moved on while the logs were asked.
      group.checkCommit(req.memberId, req.generation, req.offsets, this.now());
    }
    return shard.store.commit(
      groupId,
      req.offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
        metadata: o.metadata ?? "",
        topicId: this.options.topicIdOf?.(o.topic),
      })),
      this.now(),
    );
  }

  /** The group's committed offsets, of `topic` only when given. */
  offsets(groupId: string, topic?: string): CommittedOffset[] {
    const shard = this.shardFor(groupId);
    this.requireGroup(shard, groupId);
    if (topic !== undefined) this.requireTopic(topic);
    const all = this.liveOffsets(shard, groupId);
    return topic === undefined ? all : all.filter((o) => o.topic === topic);
  }

  /**
   * Committed offsets that still point into a topic that exists: those of a deleted
   * topic, or of an earlier incarnation of a topic created again, are void (Kafka's
   * coordinator deletes them when the topic goes), so a new log is read from its start.
   */
  private liveOffsets(shard: Shard, groupId: string): CommittedOffset[] {
    return shard.store.offsetsOf(groupId).filter((o) => this.isLive(o));
  }

  private isLive(o: CommittedOffset): boolean {
    const count = this.options.partitionsOf(o.topic);
    if (count === undefined || o.partition >= count) return false;
    return o.topicId === undefined || this.options.topicIdOf === undefined || this.options.topicIdOf(o.topic) === o.topicId;
  }

  /**
   * Topic metadata changed: groups subscribed to a topic that was deleted, created
   * again or resized rebalance, and offsets of topics that are gone are deleted.
   */
  topicsChanged(): void {
    const now = this.now();
    for (const shard of this.shards.values()) {
      for (const group of shard.groups.values()) group.topicsChanged(now);
      for (const groupId of shard.store.groupIds()) {
        const stale = shard.store.offsetsOf(groupId).filter((o) => !this.isLive(o));
        if (stale.length === 0) continue;
        shard.pending = shard.pending
          .then(() => shard.store.deletePartitions(groupId, stale, now))
          .catch((error: unknown) => this.warn(`group ${groupId}: could not delete offsets of deleted topics: ${String(error)}`));
      }
    }
  }

  /**
   * Deletes the committed offsets (of `topics` only, when given). Refused while members
   * consume them (Kafka: NON_EMPTY_GROUP, GROUP_SUBSCRIBED_TO_TOPIC). Deleting all offsets
   * of a group without members deletes the group.
   */
  async deleteOffsets(groupId: string, topics?: readonly string[]): Promise<TopicPartition[]> {
    const shard = this.shardFor(groupId);
    const group = this.requireGroup(shard, groupId);
    for (const topic of topics ?? []) this.requireTopic(topic);
    if (group.members.size > 0) {
      const busy = [...group.members.values()].flatMap((m) => m.topics).filter((t) => topics === undefined || topics.includes(t));
      if (busy.length > 0)
        throw new StreamNestError(
          "NON_EMPTY_GROUP",
          `group "${groupId}" has active members consuming ${[...new Set(busy)].sort().join(", ")}; stop them first`,
        );
    }
    const wholeGroup = topics === undefined && group.members.size === 0;
    await shard.pending;
    const deleted = await shard.store.deleteOffsets(groupId, topics, wholeGroup, this.now());
    if (wholeGroup && group.members.size === 0) shard.groups.delete(groupId);
    return deleted;
  }

  listGroups(): GroupSummary[] {
    const out: GroupSummary[] = [];
    for (const shard of this.shards.values())
      for (const id of new Set([...shard.groups.keys(), ...shard.store.groupIds()])) {
        const group = this.existing(shard, id);
        if (group) out.push({ group: id, state: group.state, generation: group.generation, members: group.members.size });
      }
    return out.sort((a, b) => (a.group < b.group ? -1 : 1));
  }

  describe(groupId: string): GroupDescription {
    const shard = this.shardFor(groupId);
    const group = this.requireGroup(shard, groupId);
    const members = [...group.members.values()]
      .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
      .map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        topics: [...m.topics],
        sessionTimeoutMs: m.sessionTimeoutMs,
        autoOffsetReset: m.autoOffsetReset,
        assignments: m.generation === group.generation ? m.assignments.map((a) => ({ ...a })) : [],
        lastSeen: m.lastSeen,
      }));
    return {
      group: groupId,
      state: group.state,
      generation: group.generation,
      assignor: group.assignor,
      members,
      offsets: this.liveOffsets(shard, groupId),
    };
  }

  /** Removes members whose session (or rebalance) timeout has passed. */
  expireMembers(): void {
    const now = this.now();
    for (const shard of this.shards.values()) for (const group of shard.groups.values()) group.expire(now);
  }
}

/** Kafka advises heartbeating at most a third of the session timeout apart; sooner means faster rebalances. */
export function heartbeatInterval(sessionTimeoutMs: number): number {
  return Math.min(MAX_HEARTBEAT_INTERVAL_MS, Math.floor(sessionTimeoutMs / 3));
}
