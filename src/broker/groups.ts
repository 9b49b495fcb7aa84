import { GroupCoordinator } from "../groups/group-coordinator.ts";
import { assertGroupId } from "../groups/group-id.ts";
import { DEFAULT_OFFSETS_PARTITIONS, isInternalTopic, OFFSETS_TOPIC, offsetsPartitionFor } from "../groups/offsets-topic.ts";
import type {
  AutoOffsetReset,
  CommitParams,
  CommittedOffset,
  ForeignGroup,
  ForeignGroups,
  GroupDescription,
  GroupSummary,
  HeartbeatResult,
  JoinParams,
  JoinResult,
  TopicPartition,
} from "../groups/types.ts";
import { StreamNestError } from "../lib/errors.ts";
import { assertTopicName } from "../lib/topic-name.ts";
import type { GroupStat } from "../metrics/group-metrics.ts";
import type { OffsetsLog } from "../groups/offset-store.ts";
import type { GroupCall } from "./group-calls.ts";
import type { BrokerRef } from "./metadata.ts";
import type { MetadataStore } from "./metadata-store.ts";
import type { PeerTransport } from "./peer-transport.ts";
import type { PartitionRange } from "./types.ts";
import { GROUP_LIMITS } from "../config/core.ts";

/**
 * Consumer groups inside the broker: finds a group's coordinator (the leader of its
 * `__consumer_offsets` partition, the topic created on first use), runs the call on the
 * local GroupCoordinator when that is this broker, and otherwise sends it to the
 * coordinator through the cluster. Adds what only the broker knows: where a member
 * should start reading (committed offset, or the `auto_offset_reset` position) and each
 * partition's lag.
 */

/** What the group service needs of the broker. */
/** Limits a transport validates group calls against. */
export { MAX_COMMIT_METADATA_LENGTH, MAX_JOIN_WAIT_MS, MAX_SESSION_TIMEOUT_MS, MIN_SESSION_TIMEOUT_MS } from "../groups/group-coordinator.ts";
export { assertGroupId, groupIdProblem } from "../groups/group-id.ts";
// For the adapters, which reach the groups through the core only (DESIGN.md's import rules).
export type { ForeignGroup, ForeignGroups, GroupDescription, GroupState, GroupSummary, TopicPartition } from "../groups/types.ts";

export interface GroupHost {
  readonly self: BrokerRef;
  readonly metadata: MetadataStore;
  /** Every broker of the cluster, self included. */
  brokers(): BrokerRef[];
  createTopic(topic: string, partitions: number): Promise<"created" | "exists">;
  /** The ranges of `topic`'s partitions from their leaders; unreachable ones are missing. */
  partitionRanges(topic: string): Promise<Map<number, PartitionRange>>;
  /**
   * The open log of a partition this broker leads, written as the topic's replication
   * requires; LEADER_UNAVAILABLE while this broker is still taking up its leadership.
   */
  localLog(topic: string, partition: number): OffsetsLog;
  /**
   * A read barrier on the metadata quorum: resolves true once this broker's metadata
   * holds every change committed before the call, false when that could not be
   * confirmed within a bounded wait. Immediately true where the store is the only copy.
   */
  catchUpMetadata(): Promise<boolean>;
  brokerRef(id: number): BrokerRef;
  /** Carries group calls to their coordinator. */
  readonly peers: PeerTransport;
}

export interface GroupServiceOptions {
  /** Partition count for `__consumer_offsets` when this broker creates it. */
  offsetsPartitions?: number;
  warn?: (message: string) => void;
  /** How often the coordinator looks for expired sessions (ms). */
  expiryCheckMs?: number;
  /** Longest a call is tried again while its coordinator cannot be found (ms; GROUP_LIMITS.coordinatorFindWaitMs). */
  coordinatorFindWaitMs?: number;
}

export interface AssignedPartition extends TopicPartition {
  committedOffset: number | null;
  /** Where the member starts reading: the committed offset, else the reset position. */
  offset: number;
}

export interface JoinAnswer extends Omit<JoinResult, "assignments"> {
  assignments: AssignedPartition[];
  coordinator: BrokerRef;
}

export interface PartitionLag extends TopicPartition {
  /** The member that owns the partition in the current generation. */
  memberId: string | null;
  committedOffset: number | null;
  endOffset: number | null;
  /** endOffset - committedOffset; null without both. */
  lag: number | null;
}

export interface GroupView extends GroupDescription {
  coordinator: BrokerRef;
  partitions: PartitionLag[];
}

export interface GroupList {
  groups: Array<GroupSummary & { coordinator: number }>;
  /** Brokers that could not be asked (their groups are missing from the list). */
  unreachable: number[];
}

/** How long a forwarded join may be held beyond the normal call timeout. */
const DEFAULT_JOIN_WAIT_MS = GROUP_LIMITS.forwardedJoinExtraWaitMs.value;
const COORDINATOR_TAKE_UP_WAIT_MS = GROUP_LIMITS.coordinatorTakeUpWaitMs.value;
const TAKE_UP_POLL_MS = 20;
const COORDINATOR_FIND_WAIT_MS = GROUP_LIMITS.coordinatorFindWaitMs.value;
const FIND_RETRY_MS = 100;

/**
 * A NOT_COORDINATOR that says the call was not carried out: the coordinator answered it
 * (restarted and catching up, or no longer leading the group's offsets partition), or
 * the connection to it was refused. Not one whose call may have arrived (a timeout, a
 * connection broken after sending): that outcome is unknown, and is reported as it is.
 */
function coordinatorNotFound(error: unknown): boolean {
  if (!(error instanceof StreamNestError) || error.code !== "NOT_COORDINATOR") return false;
  const details = error.details as { timedOut?: unknown; interrupted?: unknown } | undefined;
  return details?.timedOut !== true && details?.interrupted !== true;
}

export class GroupService {
  private coordinator: GroupCoordinator | undefined;
  /** The leader epoch each loaded __consumer_offsets partition was loaded in. */
  private readonly loadedEpochs = new Map<number, number>();
  private offsetsTopicId: string | undefined;
  /**
   * Whether this broker's metadata has caught up with the quorum since it started. Until
   * then it holds what it had when it went down, which may still name it the leader of
   * an offsets partition that another broker led meanwhile (in a later epoch, with
   * commits this broker's shard lacks): a group call is neither routed nor answered on
   * that. Kafka keeps a restarted broker fenced, leading nothing, until it has caught up
   * with the metadata log (KIP-631); here the first group call runs the read barrier.
   */
  private metadataCaughtUp = false;
  private catchingUp: Promise<void> | undefined;
  private readonly warn: (message: string) => void;
  private readonly unsubscribe: () => void;
  private closed = false;
  /** The Kafka listeners' groups (ForeignGroups), shown with the HTTP ones and guarded against outside offset changes. */
  private readonly foreign = new Set<ForeignGroups>();

  constructor(
    private readonly host: GroupHost,
    private readonly options: GroupServiceOptions = {},
  ) {
    this.warn = options.warn ?? ((m) => console.warn(m));
    const changed = (): void => this.reconcile()?.topicsChanged();
    this.unsubscribe = host.metadata.onChange(changed);
    changed();
  }

  /** Adds a source of groups whose members another door holds (a Kafka listener's); the returned function removes it. */
  attachForeignGroups(source: ForeignGroups): () => void {
    this.foreign.add(source);
    return () => {
      this.foreign.delete(source);
    };
  }

  /**
   * Members the HTTP coordinator on this broker holds in `group` (0 when it does not
   * coordinate the group): a Kafka JoinGroup is refused while there are any.
   */
  membersHere(group: string): number {
    return this.ownGroupHere(group)?.members.length ?? 0;
  }

  /**
   * The group as the HTTP coordinator on this broker holds it: undefined when it does not
   * coordinate the group, knows no such group, or is still taking up its offsets
   * partition (then no HTTP member can have joined through this broker yet).
   */
  ownGroupHere(group: string): GroupDescription | undefined {
    const c = this.reconcile();
    try {
      return c === undefined ? undefined : this.describeOwnOrNone(c, group);
    } catch (error) {
      if (error instanceof StreamNestError) return undefined;
      throw error;
    }
  }

  /** The group as a Kafka listener of this broker holds it, when one does and it has members. */
  private foreignWithMembers(group: string): ForeignGroup | undefined {
    for (const source of this.foreign) {
      const found = source.view(group);
      if (found !== undefined && found.members.length > 0) return found;
    }
    return undefined;
  }

  /**
   * An offset change made from outside a group (an HTTP commit or reset without a member,
   * a delete of its offsets) while Kafka consumers are its members would move the offsets
   * under them: refused, as Kafka refuses resetting or deleting the offsets of a group
   * that is not empty (NON_EMPTY_GROUP; kafka-consumer-groups --reset-offsets "can only
   * be reset if the group is inactive"). A Kafka member's own commits are the Kafka
   * handlers' to check (anyOffset: they come from OffsetCommit).
   */
  private refuseOutsideChange(group: string, what: string): void {
    const kafka = this.foreignWithMembers(group);
    if (kafka === undefined) return;
    throw new StreamNestError(
      "NON_EMPTY_GROUP",
      `group "${group}" has ${kafka.members.length} Kafka consumer member(s); stop them before ${what} its offsets`,
    );
  }

  // ---- calls from clients, routed to the coordinator ------------------------------

  async join(group: string, request: JoinParams): Promise<JoinAnswer> {
    // A name that cannot be a topic is a bad request, not a topic that does not exist.
    if (Array.isArray(request.topics)) for (const topic of request.topics) assertTopicName(topic);
    const waitMs = request.waitMs ?? DEFAULT_JOIN_WAIT_MS;
    return this.route<JoinAnswer>(group, { op: "join", group, request: { ...request, waitMs } }, waitMs);
  }

  heartbeat(group: string, memberId: string, generation: number): Promise<HeartbeatResult> {
    return this.route(group, { op: "heartbeat", group, memberId, generation });
  }

  async leave(group: string, memberId: string): Promise<void> {
    await this.route(group, { op: "leave", group, memberId });
  }

  commit(group: string, request: CommitParams): Promise<CommittedOffset[]> {
    if (Array.isArray(request.offsets)) for (const o of request.offsets) assertTopicName((o as { topic?: unknown } | null)?.topic);
    return this.route(group, { op: "commit", group, request });
  }

  offsets(group: string, topic?: string): Promise<CommittedOffset[]> {
    if (topic !== undefined) assertTopicName(topic);
    return this.route(group, { op: "offsets", group, topic });
  }

  deleteOffsets(group: string, topics?: string[]): Promise<TopicPartition[]> {
    for (const topic of topics ?? []) assertTopicName(topic);
    return this.route(group, { op: "delete-offsets", group, topics });
  }

  describe(group: string): Promise<GroupView> {
    return this.route(group, { op: "describe", group });
  }

  /** The groups this broker coordinates (what Kafka's ListGroups answers per broker). */
  listHere(): GroupSummary[] {
    return this.localList();
  }

  /** Every group of the cluster: each broker lists those it coordinates. */
  async list(): Promise<GroupList> {
    const unreachable: number[] = [];
    const lists = await Promise.all(
      this.host.brokers().map(async (broker) => {
        try {
          const groups =
            broker.id === this.host.self.id
              ? this.localList()
              : await this.host.peers.group<GroupSummary[]>(broker, { op: "list" }, 0);
          return groups.map((g) => ({ ...g, coordinator: broker.id }));
        } catch (error) {
          unreachable.push(broker.id);
          this.warn(`listing groups: broker ${broker.id} (${broker.address}): ${messageOf(error)}`);
          return [];
        }
      }),
    );
    return {
      groups: lists.flat().sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0)),
      unreachable: unreachable.sort((a, b) => a - b),
    };
  }

  // ---- the coordinator's side -----------------------------------------------------

  /**
   * Runs a call another broker sent here, never forwarding it again: a group this
   * broker does not coordinate is NOT_COORDINATOR.
   */
  async handle(call: GroupCall): Promise<unknown> {
    switch (call.op) {
      case "list":
        return this.localList();
    }
    await this.caughtUpMetadata();
    const c = await this.readyCoordinator(call.group);
    switch (call.op) {
      case "join": {
        // Two coordinators assigning the same partitions would have them read twice.
        const kafka = this.foreignWithMembers(call.group);
        if (kafka !== undefined)
          throw new StreamNestError(
            "NON_EMPTY_GROUP",
            `group "${call.group}" has ${kafka.members.length} Kafka consumer member(s); an HTTP member cannot join it (use another group id)`,
          );
        return this.joinHere(c, call.group, call.request);
      }
      case "heartbeat":
        return c.heartbeat(call.group, call.memberId, call.generation);
      case "leave":
        c.leave(call.group, call.memberId);
        return { status: "left" };
      case "commit":
        if (call.request.memberId === undefined && call.request.anyOffset !== true) this.refuseOutsideChange(call.group, "changing");
        return c.commit(call.group, call.request);
      case "offsets":
        return c.offsets(call.group, call.topic);
      case "delete-offsets":
        this.refuseOutsideChange(call.group, "deleting");
        return c.deleteOffsets(call.group, call.topics);
      case "describe":
        return this.describeHere(c, call.group);
    }
  }

  /** The groups coordinated here with their lag, for /metrics. */
  async metricsSnapshot(): Promise<GroupStat[]> {
    const c = this.reconcile();
    if (!c) return [];
    const views = await Promise.all(c.listGroups().map((g) => this.describeHere(c, g.group).catch(() => undefined)));
    return views
      .filter((v): v is GroupView => v !== undefined)
      .map((v) => ({
        group: v.group,
        members: v.members.length,
        generation: v.generation,
        partitions: v.partitions.map(({ topic, partition, committedOffset, lag }) => ({ topic, partition, committedOffset, lag })),
      }));
  }

  /**
   * Refuses an offset past a partition's end: a committed offset is the next one to
   * read, so one beyond the end was never read, and it would hide the lag and be
   * dropped (reset) by the next member that joins. A partition whose leader cannot be
   * asked is let through: its end is unknown, not exceeded.
   */
  private async checkCommitWithinLog(offsets: ReadonlyArray<TopicPartition & { offset: number }>): Promise<void> {
    const topics = new Set<string>();
    for (const o of offsets)
      if (!isInternalTopic(o.topic) && this.host.metadata.topic(o.topic)?.partitions[o.partition] !== undefined) topics.add(o.topic);
    const ends = new Map<string, number>();
    await Promise.all(
      [...topics].map(async (topic) => {
        for (const [partition, range] of await this.host.partitionRanges(topic)) ends.set(`${topic}\u0000${partition}`, range.endOffset);
      }),
    );
    for (const o of offsets) {
      const end = ends.get(`${o.topic}\u0000${o.partition}`);
      if (end !== undefined && Number.isSafeInteger(o.offset) && o.offset > end)
        throw new StreamNestError(
          "OFFSET_OUT_OF_RANGE",
          `offset ${o.offset} is past the end of ${o.topic}/${o.partition}, whose next offset is ${end}; commit the offset after the last record read`,
          { topic: o.topic, partition: o.partition, endOffset: end },
        );
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.coordinator?.close();
    this.coordinator = undefined;
  }

  // ---- internals ------------------------------------------------------------------

  /**
   * Carries a call to its group's coordinator. While the coordinator cannot be found (a
   * broker restarted a moment ago and still catching up with the metadata quorum, a
   * leadership move of the offsets partition), the call is tried again for a bounded
   * time, asking metadata anew each time, as a Kafka client does on NOT_COORDINATOR
   * (KIP-580 backoff): a curl user gets the answer rather than a 503 for a move that
   * ends a moment later.
   */
  private async route<T>(group: string, call: GroupCall, waitMs = 0): Promise<T> {
    assertGroupId(group);
    const deadline = Date.now() + (this.options.coordinatorFindWaitMs ?? COORDINATOR_FIND_WAIT_MS);
    for (;;) {
      try {
        await this.caughtUpMetadata();
        const leader = await this.coordinatorOf(group);
        if (leader === this.host.self.id) return (await this.handle(call)) as T;
        return await this.host.peers.group<T>(this.host.brokerRef(leader), call, waitMs);
      } catch (error) {
        if (this.closed || !coordinatorNotFound(error) || Date.now() + FIND_RETRY_MS >= deadline) throw error;
        await Bun.sleep(FIND_RETRY_MS);
      }
    }
  }

  /** The id of the broker that coordinates `group` (what Kafka's FindCoordinator answers). */
  async coordinatorId(group: string): Promise<number> {
    assertGroupId(group);
    await this.caughtUpMetadata();
    return this.coordinatorOf(group);
  }

  /**
   * Returns once this broker's metadata has caught up with the quorum since it started
   * (see metadataCaughtUp); a broker that cannot confirm it yet is not a coordinator
   * (NOT_COORDINATOR, retriable: the client asks again).
   */
  private async caughtUpMetadata(): Promise<void> {
    if (this.metadataCaughtUp) return;
    this.catchingUp ??= this.host
      .catchUpMetadata()
      .then((current) => {
        if (current) this.metadataCaughtUp = true;
      })
      .finally(() => {
        this.catchingUp = undefined;
      });
    await this.catchingUp;
    if (!this.metadataCaughtUp)
      throw new StreamNestError(
        "NOT_COORDINATOR",
        `broker ${this.host.self.id} has not yet caught up with the cluster's metadata since it started, so it cannot tell which broker coordinates a group; retry in a moment`,
      );
  }

  /** The id of the broker that coordinates `group`, creating `__consumer_offsets` if need be. */
  private async coordinatorOf(group: string): Promise<number> {
    let meta = this.host.metadata.topic(OFFSETS_TOPIC);
    if (!meta) {
      await this.host.createTopic(OFFSETS_TOPIC, this.options.offsetsPartitions ?? DEFAULT_OFFSETS_PARTITIONS);
      meta = this.host.metadata.topic(OFFSETS_TOPIC);
      if (!meta)
        throw new StreamNestError("NOT_COORDINATOR", `${OFFSETS_TOPIC} is being created; retry in a moment`);
    }
    const partition = offsetsPartitionFor(group, meta.partitions.length);
    return meta.partitions[partition].leader;
  }

  /**
   * The local coordinator of `group`, waiting (bounded) while metadata already names this
   * broker the leader of the group's offsets partition but replication has not yet begun
   * its epoch there (a failover in progress): the call is answered rather than refused.
   */
  private async readyCoordinator(group: string): Promise<GroupCoordinator> {
    const deadline = Date.now() + COORDINATOR_TAKE_UP_WAIT_MS;
    for (;;) {
      try {
        return this.localCoordinator(group);
      } catch (error) {
        if (this.closed || Date.now() >= deadline || !this.leadsOffsetsPartitionOf(group)) throw error;
        await Bun.sleep(TAKE_UP_POLL_MS);
      }
    }
  }

  private leadsOffsetsPartitionOf(group: string): boolean {
    const meta = this.host.metadata.topic(OFFSETS_TOPIC);
    if (!meta) return false;
    return meta.partitions[offsetsPartitionFor(group, meta.partitions.length)]?.leader === this.host.self.id;
  }

  private localCoordinator(group: string): GroupCoordinator {
    const c = this.reconcile();
    if (!c || !c.isCoordinatorFor(group))
      throw new StreamNestError(
        "NOT_COORDINATOR",
        `broker ${this.host.self.id} is not the coordinator of group "${group}"; ask any broker again`,
      );
    return c;
  }

  /**
   * Brings the coordinator in line with metadata: one per incarnation of
   * `__consumer_offsets`, holding exactly the partitions this broker leads (loaded from
   * their logs, which rebuilds their groups' offsets).
   */
  private reconcile(): GroupCoordinator | undefined {
    if (this.closed) return undefined;
    const meta = this.host.metadata.topic(OFFSETS_TOPIC);
    if (!meta) {
      this.coordinator?.close();
      this.coordinator = undefined;
      this.offsetsTopicId = undefined;
      return undefined;
    }
    if (!this.coordinator || this.offsetsTopicId !== meta.id) {
      this.coordinator?.close();
      this.offsetsTopicId = meta.id;
      this.coordinator = new GroupCoordinator({
        offsetsPartitions: meta.partitions.length,
        partitionsOf: (topic) => (isInternalTopic(topic) ? undefined : this.host.metadata.topic(topic)?.partitions.length),
        topicIdOf: (topic) => (isInternalTopic(topic) ? undefined : this.host.metadata.topic(topic)?.id),
        checkCommitOffsets: (offsets) => this.checkCommitWithinLog(offsets),
        expiryCheckMs: this.options.expiryCheckMs,
        warn: this.warn,
      });
    }
    const c = this.coordinator;
    const loaded = new Set(c.loadedPartitions());
    for (const assignment of meta.partitions) {
      const mine = assignment.leader === this.host.self.id;
      // Loaded in another leader epoch (a restart that led on stale metadata before it
      // caught up, with no group call in between to unload): commits made meanwhile by
      // another leader are in the log, not in what was loaded, so it is loaded again.
      if (mine && loaded.has(assignment.partition) && this.loadedEpochs.get(assignment.partition) !== assignment.leaderEpoch) {
        c.unloadPartition(assignment.partition);
        loaded.delete(assignment.partition);
      }
      if (mine && !loaded.has(assignment.partition)) {
        try {
          c.loadPartition(assignment.partition, this.host.localLog(OFFSETS_TOPIC, assignment.partition));
          this.loadedEpochs.set(assignment.partition, assignment.leaderEpoch);
        } catch (error) {
          // Still taking up leadership (replication begins the epoch): loaded on the next call.
          if (!(error instanceof StreamNestError && error.code === "LEADER_UNAVAILABLE"))
            this.warn(`cannot load ${OFFSETS_TOPIC}-${assignment.partition}: ${messageOf(error)}`);
        }
      } else if (!mine && loaded.has(assignment.partition)) c.unloadPartition(assignment.partition);
    }
    return c;
  }

  /** The groups coordinated here; one with Kafka members (and none over HTTP) as the Kafka listener holds it. */
  private localList(): GroupSummary[] {
    const own = this.reconcile()?.listGroups() ?? [];
    if (this.foreign.size === 0) return own;
    const byId = new Map(own.map((g) => [g.group, g]));
    for (const source of this.foreign)
      for (const g of source.list()) {
        const mine = byId.get(g.group);
        if (mine === undefined || (g.members > 0 && mine.members === 0)) byId.set(g.group, g);
      }
    return [...byId.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  }

  private async joinHere(c: GroupCoordinator, group: string, request: JoinParams): Promise<JoinAnswer> {
    const result = await c.join(group, request);
    const committed = new Map(c.offsets(group).map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
    const topics = [...new Set(result.assignments.map((a) => a.topic))];
    const ranges = new Map(await Promise.all(topics.map(async (t) => [t, await this.host.partitionRanges(t)] as const)));
    const assignments = result.assignments.map((a) => {
      const commit = committed.get(`${a.topic}\u0000${a.partition}`);
      const range = ranges.get(a.topic)?.get(a.partition);
      return {
        ...a,
        committedOffset: commit ?? null,
        offset: startingOffset(commit, range, result.autoOffsetReset),
      };
    });
    return { ...result, assignments, coordinator: this.host.self };
  }

  /** The group as the HTTP coordinator holds it; undefined when it knows no such group (it may still be a Kafka one). */
  private describeOwnOrNone(c: GroupCoordinator, group: string): GroupDescription | undefined {
    try {
      return c.describe(group);
    } catch (error) {
      if (error instanceof StreamNestError && error.code === "GROUP_NOT_FOUND") return undefined;
      throw error;
    }
  }

  private async describeHere(c: GroupCoordinator, group: string): Promise<GroupView> {
    const own = this.describeOwnOrNone(c, group);
    const kafka = this.foreignWithMembers(group);
    // A group whose members are Kafka consumers: their state, generation and assignment,
    // over the offsets the two doors share.
    const description: GroupDescription =
      kafka !== undefined && (own === undefined || own.members.length === 0)
        ? { group, state: kafka.state, generation: kafka.generation, assignor: kafka.assignor, members: kafka.members, offsets: own?.offsets ?? [] }
        : (own ?? c.describe(group));
    const owners = new Map<string, string>();
    for (const m of description.members) for (const a of m.assignments) owners.set(`${a.topic}\u0000${a.partition}`, m.memberId);
    const committed = new Map(description.offsets.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
    const subscribed = new Set(description.members.flatMap((m) => m.topics));
    const topics = [...new Set([...subscribed, ...description.offsets.map((o) => o.topic)])].sort();
    const partitions: PartitionLag[] = [];
    for (const topic of topics) {
      const ends = await this.host.partitionRanges(topic);
      const count = this.host.metadata.topic(topic)?.partitions.length ?? 0;
      const shown = new Set<number>();
      if (subscribed.has(topic)) for (let p = 0; p < count; p++) shown.add(p);
      for (const o of description.offsets) if (o.topic === topic) shown.add(o.partition);
      for (const partition of [...shown].sort((a, b) => a - b)) {
        const key = `${topic}\u0000${partition}`;
        const commit = committed.get(key) ?? null;
        const end = ends.get(partition)?.endOffset ?? null;
        partitions.push({
          topic,
          partition,
          memberId: owners.get(key) ?? null,
          committedOffset: commit,
          endOffset: end,
          lag: commit !== null && commit >= 0 && end !== null ? Math.max(0, end - commit) : null,
        });
      }
    }
    return { ...description, coordinator: this.host.self, partitions };
  }
}

/**
 * Kafka's rule: the committed offset when there is one still in the log, else
 * `auto.offset.reset` (earliest: the log start; latest: its end). A partition whose
 * range is unknown (its leader unreachable) starts at 0 for earliest.
 */
export function startingOffset(
  committed: number | undefined,
  range: { startOffset: number; endOffset: number } | undefined,
  reset: AutoOffsetReset,
): number {
  // A negative commit (a Kafka client's -1 or -2) names no record: the reset rule applies.
  if (committed !== undefined && committed >= 0 && (range === undefined || (committed >= range.startOffset && committed <= range.endOffset)))
    return committed;
  if (range === undefined) {
    if (reset === "earliest") return 0;
    throw new StreamNestError("LEADER_UNAVAILABLE", "the end of a partition is unknown: its leader cannot be reached; rejoin");
  }
  return reset === "earliest" ? range.startOffset : range.endOffset;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
