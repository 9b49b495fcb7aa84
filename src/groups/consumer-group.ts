/**
 * One consumer group's membership state machine, after Kafka's classic ("eager")
 * rebalance protocol with the assignment computed by the coordinator as in KIP-848:
 *
 * - Any change of membership (a join, a leave, an expired session, a changed
 *   subscription) starts a rebalance: the group goes to PreparingRebalance and every
 *   member must rejoin; their heartbeats answer REBALANCE_IN_PROGRESS until they do.
 * - Members still own their partitions of the current generation while it prepares
 *   (and may commit them), so nothing is handed over before its owner has let go.
 * - When the last member has rejoined (or those that did not were dropped after their
 *   rebalance timeout), the generation is bumped and the assignor deals the partitions
 *   out; no partition belongs to two members of one generation, and a commit carrying
 *   an older generation is refused (ILLEGAL_GENERATION), so a handed-over partition's
 *   offset never moves backwards.
 *
 * Time comes in as arguments, so the machine is deterministic under test.
 */
import { StreamNestError } from "../lib/errors.ts";
import type { AssignorMember } from "./assignor.ts";
import type { AssignorName } from "./assignors.ts";
import { assignorByName } from "./assignors.ts";
import type { AutoOffsetReset, GroupState, TopicPartition } from "./types.ts";

export interface MemberState {
  readonly memberId: string;
  clientId: string;
  /** Subscribed topics, sorted and unique. */
  topics: string[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  autoOffsetReset: AutoOffsetReset;
  lastSeen: number;
  /** Has rejoined since the current rebalance began. */
  rejoined: boolean;
  /** The generation whose assignment this member holds; -1 before its first. */
  generation: number;
  assignments: TopicPartition[];
}

/** A join whose fields the coordinator has checked and defaulted. */
export interface MemberJoin {
  memberId: string | undefined;
  newMemberId: () => string;
  clientId: string;
  topics: string[];
  assignor: AssignorName | undefined;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  autoOffsetReset: AutoOffsetReset;
}

export type RemovalReason = "left" | "session timeout" | "rebalance timeout";

export interface GroupHooks {
  /** Partition count of a topic, undefined when it no longer exists. */
  partitionsOf(topic: string): number | undefined;
  /** Id of the topic's current incarnation (a topic deleted and created again gets a new one). */
  topicIdOf?(topic: string): string | undefined;
  /** Called each time a generation is completed (to persist it). */
  onGeneration?(group: ConsumerGroup): void;
  onRemoved?(group: ConsumerGroup, memberId: string, reason: RemovalReason): void;
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

export class ConsumerGroup {
  state: GroupState = "Empty";
  readonly members = new Map<string, MemberState>();
  /** While preparing: members that have not rejoined by then are dropped. */
  rebalanceDeadline = 0;
  private readonly waiters = new Set<() => void>();
  /** Per subscribed topic, what it was (incarnation and partition count) when the generation was dealt. */
  private dealtTopics = new Map<string, string>();

  constructor(
    readonly id: string,
    public generation: number,
    public assignor: AssignorName | null,
    private readonly hooks: GroupHooks,
  ) {}

  /** Adds or refreshes a member; returns it. A new member id comes from `join.newMemberId`. */
  join(join: MemberJoin, now: number): MemberState {
    if (join.memberId !== undefined) return this.rejoin(join.memberId, join, now);
    if (join.assignor !== undefined && this.members.size > 0 && join.assignor !== this.assignor)
      throw this.inconsistentAssignor(join.assignor);
    const member: MemberState = {
      memberId: join.newMemberId(),
      clientId: join.clientId,
      topics: join.topics,
      sessionTimeoutMs: join.sessionTimeoutMs,
      rebalanceTimeoutMs: join.rebalanceTimeoutMs,
      autoOffsetReset: join.autoOffsetReset,
      lastSeen: now,
      rejoined: true,
      generation: -1,
      assignments: [],
    };
    const wasEmpty = this.members.size === 0;
    this.members.set(member.memberId, member);
    if (wasEmpty) {
      this.assignor = join.assignor ?? this.assignor ?? "range";
      this.complete();
    } else {
      this.prepareRebalance(now, member.memberId);
      this.completeIfReady();
    }
    return member;
  }

  private rejoin(memberId: string, join: MemberJoin, now: number): MemberState {
    const member = this.requireMember(memberId);
    const alone = this.members.size === 1;
    if (join.assignor !== undefined && join.assignor !== this.assignor && !alone) throw this.inconsistentAssignor(join.assignor);
    const changed = !sameTopics(member.topics, join.topics) || (join.assignor !== undefined && join.assignor !== this.assignor);
    member.clientId = join.clientId;
    member.topics = join.topics;
    member.sessionTimeoutMs = join.sessionTimeoutMs;
    member.rebalanceTimeoutMs = join.rebalanceTimeoutMs;
    member.autoOffsetReset = join.autoOffsetReset;
    member.lastSeen = now;
    if (join.assignor !== undefined) this.assignor = join.assignor;
    if (this.state === "Stable" && !changed) return member;
    this.prepareRebalance(now, memberId);
    member.rejoined = true;
    this.completeIfReady();
    return member;
  }

  /** Kafka answers INCONSISTENT_GROUP_PROTOCOL; the member's request is what is wrong here. */
  private inconsistentAssignor(asked: string): StreamNestError {
    return new StreamNestError(
      "INVALID_REQUEST",
      `group "${this.id}" uses the ${this.assignor} assignor; a member cannot join it with ${asked}`,
    );
  }

  heartbeat(memberId: string, generation: number, now: number): void {
    const member = this.requireMember(memberId);
    member.lastSeen = now;
    if (this.state === "PreparingRebalance")
      throw new StreamNestError("REBALANCE_IN_PROGRESS", `group "${this.id}" is rebalancing; rejoin to get the new assignment`);
    if (generation !== this.generation || member.generation !== this.generation)
      throw new StreamNestError(
        "ILLEGAL_GENERATION",
        `generation ${generation} is not the group's current generation ${this.generation}; rejoin`,
      );
  }

  leave(memberId: string, now: number): void {
    this.requireMember(memberId);
    this.remove(memberId, "left");
    this.membershipChanged(now);
  }

  /**
   * Throws unless `memberId` of `generation` may commit `partitions` now. Without a
   * member id (an admin setting offsets), only a group without members accepts it.
   */
  checkCommit(memberId: string | undefined, generation: number | undefined, partitions: readonly TopicPartition[], now: number): void {
    if (memberId === undefined) {
      if (this.members.size > 0)
        throw new StreamNestError(
          "NON_EMPTY_GROUP",
          `group "${this.id}" has ${this.members.size} member(s); only a member, with its generation, may commit`,
        );
      return;
    }
    const member = this.requireMember(memberId);
    member.lastSeen = now;
    if (generation === undefined)
      throw new StreamNestError(
        "INVALID_REQUEST",
        `a commit from member ${memberId} needs the generation its join answered (the group is at generation ${this.generation})`,
      );
    if (generation !== this.generation)
      throw new StreamNestError(
        "ILLEGAL_GENERATION",
        `commit for generation ${generation} refused: group "${this.id}" is at generation ${this.generation}`,
      );
    if (member.generation !== this.generation)
      throw new StreamNestError("REBALANCE_IN_PROGRESS", `member ${memberId} has no assignment yet; rejoin`);
    for (const tp of partitions)
      if (!member.assignments.some((a) => a.topic === tp.topic && a.partition === tp.partition))
        throw new StreamNestError(
          "ILLEGAL_GENERATION",
          `partition ${tp.topic}/${tp.partition} is not assigned to member ${memberId} in generation ${this.generation}`,
        );
    // An offset read from a topic since deleted (and maybe created again) must not land
    // on the new incarnation, where it would skip records nobody has read.
    for (const tp of partitions)
      if (this.topicShape(tp.topic) !== this.dealtTopics.get(tp.topic))
        throw new StreamNestError(
          "REBALANCE_IN_PROGRESS",
          `topic "${tp.topic}" was deleted or created again since generation ${this.generation} was assigned; rejoin`,
        );
  }

  /** Drops members whose session or rebalance time ran out; returns how many. */
  expire(now: number): number {
    let removed = 0;
    for (const member of [...this.members.values()]) {
      if (now - member.lastSeen > member.sessionTimeoutMs) {
        this.remove(member.memberId, "session timeout");
        removed++;
      } else if (this.state === "PreparingRebalance" && !member.rejoined && now > this.rebalanceDeadline) {
        this.remove(member.memberId, "rebalance timeout");
        removed++;
      }
    }
    if (removed > 0) this.membershipChanged(now);
    return removed;
  }

  /**
   * Starts a rebalance when a subscribed topic was deleted, created again or resized
   * since the generation was dealt (Kafka's consumers rejoin on such a metadata change),
   * so nobody keeps partitions that no longer exist and new ones get an owner. Returns
   * whether it did.
   */
  topicsChanged(now: number): boolean {
    if (this.state !== "Stable" || this.members.size === 0) return false;
    const current = this.topicShapes();
    const same = current.size === this.dealtTopics.size && [...current].every(([topic, shape]) => this.dealtTopics.get(topic) === shape);
    if (same) return false;
    this.prepareRebalance(now, undefined);
    return true;
  }

  /** "id/count" of every subscribed topic ("-" for one that does not exist). */
  private topicShapes(): Map<string, string> {
    const shapes = new Map<string, string>();
    for (const member of this.members.values())
      for (const topic of member.topics) {
        if (!shapes.has(topic)) shapes.set(topic, this.topicShape(topic));
      }
    return shapes;
  }

  private topicShape(topic: string): string {
    const count = this.hooks.partitionsOf(topic);
    return count === undefined ? "-" : `${this.hooks.topicIdOf?.(topic) ?? ""}/${count}`;
  }

  /** Resolves when the next generation completes, or after `timeoutMs`. */
  waitForGeneration(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** Wakes every waiting join (the group is going away or the coordinator stops). */
  releaseWaiters(): void {
    for (const done of [...this.waiters]) done();
  }

  /** True when `memberId` holds an assignment of the current, stable generation. */
  isSettled(memberId: string): boolean {
    const member = this.members.get(memberId);
    return this.state === "Stable" && member !== undefined && member.generation === this.generation;
  }

  private requireMember(memberId: string): MemberState {
    const member = this.members.get(memberId);
    if (!member)
      throw new StreamNestError("UNKNOWN_MEMBER_ID", `group "${this.id}" has no member "${memberId}"; join again without a member id`);
    return member;
  }

  private remove(memberId: string, reason: RemovalReason): void {
    this.members.delete(memberId);
    this.hooks.onRemoved?.(this, memberId, reason);
  }

  private membershipChanged(now: number): void {
    if (this.members.size === 0) {
      this.complete();
      return;
    }
    this.prepareRebalance(now, undefined);
    this.completeIfReady();
  }

  /** Enters PreparingRebalance (all but `rejoiner` must rejoin); a no-op while already in it. */
  private prepareRebalance(now: number, rejoiner: string | undefined): void {
    if (this.state === "PreparingRebalance") return;
    this.state = "PreparingRebalance";
    let longest = 0;
    for (const member of this.members.values()) {
      member.rejoined = member.memberId === rejoiner;
      longest = Math.max(longest, member.rebalanceTimeoutMs);
    }
    this.rebalanceDeadline = now + longest;
  }

  private completeIfReady(): void {
    if (this.state !== "PreparingRebalance") return;
    for (const member of this.members.values()) if (!member.rejoined) return;
    this.complete();
  }

  /** Bumps the generation and deals the partitions out (or goes Empty without members). */
  private complete(): void {
    this.generation++;
    if (this.members.size === 0) {
      this.state = "Empty";
    } else {
      const members: AssignorMember[] = [...this.members.values()];
      const partitionsPerTopic = new Map<string, number>();
      for (const member of members)
        for (const topic of member.topics) {
          const count = this.hooks.partitionsOf(topic);
          if (count !== undefined) partitionsPerTopic.set(topic, count);
        }
      const assignment = assignorByName(this.assignor ?? "range")(members, partitionsPerTopic);
      this.dealtTopics = this.topicShapes();
      for (const member of this.members.values()) {
        member.assignments = assignment.get(member.memberId) ?? [];
        member.generation = this.generation;
      }
      this.state = "Stable";
    }
    this.hooks.onGeneration?.(this);
    this.releaseWaiters();
  }
}
