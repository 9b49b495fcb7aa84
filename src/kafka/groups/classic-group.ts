import { randomUUID } from "node:crypto";
import { StreamNestError } from "../../lib/errors.ts";

/**
 * One consumer group of Kafka's classic protocol (KIP-62, the JoinGroup/SyncGroup
 * rebalance): the broker only relays. Members join with opaque protocol metadata; once
 * every known member has (re)joined, or the rebalance timeout has passed, a generation
 * begins: the leader gets every member's metadata, computes the assignment itself and
 * sends it in its SyncGroup; the broker hands each member its bytes unchanged.
 *
 * States as Kafka names them: Empty, PreparingRebalance, CompletingRebalance, Stable.
 */

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export interface JoinRequest {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Uint8Array }[];
}

export interface JoinResult {
  generationId: number;
  protocolType: string;
  protocolName: string;
  leader: string;
  memberId: string;
  /** Every member's metadata for the leader; empty for the others. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Uint8Array }[];
  /** The leader need not assign: the group kept its assignment (a static member's return, KIP-345/KIP-814). */
  skipAssignment?: boolean;
}

export interface SyncResult {
  protocolType: string;
  protocolName: string;
  assignment: Uint8Array;
}

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: { name: string; metadata: Uint8Array }[];
  assignment: Uint8Array;
  lastSeen: number;
  joining?: { resolve: (r: JoinResult) => void; reject: (e: unknown) => void };
  syncing?: { resolve: (r: SyncResult) => void; reject: (e: unknown) => void };
}

export interface MemberView {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  metadata: Uint8Array;
  assignment: Uint8Array;
  sessionTimeoutMs: number;
  lastSeen: number;
}

/**
 * A new group waits this long for more members before its first generation (Kafka:
 * group.initial.rebalance.delay.ms). Kafka's default is 3 s; 300 ms keeps a lone
 * consumer's start quick, and --group-initial-rebalance-delay-ms sets Kafka's value for
 * clients (and test suites, librdkafka's 0113) that expect members started together to
 * form the first generation together.
 */
export const DEFAULT_INITIAL_REBALANCE_DELAY_MS = 300;

export class ClassicGroup {
  state: GroupState = "Empty";
  generationId = 0;
  protocolType = "";
  protocolName: string | null = null;
  leader: string | null = null;
  private readonly members = new Map<string, Member>();
  private rebalanceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly groupId: string,
    private readonly initialRebalanceDelayMs = DEFAULT_INITIAL_REBALANCE_DELAY_MS,
  ) {}

  get size(): number {
    return this.members.size;
  }

  join(req: JoinRequest, now: number): Promise<JoinResult> {
    if (this.state === "Dead") throw new StreamNestError("NOT_COORDINATOR", `group "${this.groupId}" is being removed`);
    if (this.members.size > 0 && req.protocolType !== this.protocolType)
      throw inconsistent(`group "${this.groupId}" uses protocol type "${this.protocolType}", not "${req.protocolType}"`);
    if (this.members.size > 0 && !this.commonProtocol(req.protocols.map((p) => p.name)))
      throw inconsistent(`no protocol of this member is supported by every member of group "${this.groupId}"`);
    let member: Member | undefined;
    if (req.memberId !== "") {
      member = this.members.get(req.memberId);
      if (!member) throw new StreamNestError("UNKNOWN_MEMBER_ID", `member "${req.memberId}" is not in group "${this.groupId}"`);
      if (member.groupInstanceId !== req.groupInstanceId && req.groupInstanceId !== null)
        throw fenced(`member "${req.memberId}" is not group instance "${req.groupInstanceId}" of group "${this.groupId}"`);
    } else {
      // A static member (KIP-345) coming back under its group.instance.id takes the place
      // of its old self at once: the old member id is fenced, rather than the group waiting
      // out the dead process's session (16 s of no consumption with a 20 s session) while
      // the returning process counts as one more member.
      const old = req.groupInstanceId !== null ? this.fenceInstance(req.groupInstanceId) : undefined;
      const memberId = `${req.clientId || "member"}-${randomUUID()}`;
      if (old !== undefined && this.state === "Stable") {
        const back = this.rejoinStable(old, memberId, req, now);
        if (back !== undefined) return Promise.resolve(back);
      }
      member = newMember(memberId, req, new Uint8Array(0), now);
      this.members.set(memberId, member);
    }
    this.protocolType = req.protocolType;
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.lastSeen = now;
    member.joining?.reject(new StreamNestError("UNKNOWN_MEMBER_ID", "superseded by a newer join of the same member"));
    const answer = new Promise<JoinResult>((resolve, reject) => (member.joining = { resolve, reject }));
    this.prepareRebalance(this.state === "Empty" ? this.initialRebalanceDelayMs : 0);
    this.completeJoinIfReady();
    return answer;
  }

  sync(memberId: string, generationId: number, assignments: { memberId: string; assignment: Uint8Array }[], now: number): Promise<SyncResult> {
    const member = this.check(memberId, generationId, now);
    if (this.state === "PreparingRebalance")
      throw new StreamNestError("REBALANCE_IN_PROGRESS", `group "${this.groupId}" is rebalancing; rejoin`);
    if (this.state === "Stable") return Promise.resolve(this.syncResult(member));
    const answer = new Promise<SyncResult>((resolve, reject) => (member.syncing = { resolve, reject }));
    if (memberId === this.leader) {
      const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const m of this.members.values()) m.assignment = given.get(m.memberId) ?? new Uint8Array(0);
      this.state = "Stable";
      for (const m of this.members.values()) {
        m.syncing?.resolve(this.syncResult(m));
        m.syncing = undefined;
      }
    }
    return answer;
  }

  heartbeat(memberId: string, generationId: number, now: number): void {
    this.check(memberId, generationId, now);
    if (this.state === "PreparingRebalance")
      throw new StreamNestError("REBALANCE_IN_PROGRESS", `group "${this.groupId}" is rebalancing; rejoin`);
  }

  leave(memberId: string): void {
    const member = this.members.get(memberId);
    if (!member) throw new StreamNestError("UNKNOWN_MEMBER_ID", `member "${memberId}" is not in group "${this.groupId}"`);
    this.remove(member, "left the group");
  }

  /** Checks a commit's member and generation; generation -1 with no member is a "simple" commit. */
  checkCommit(memberId: string, generationId: number, now: number): void {
    if (generationId < 0 && memberId === "") {
      if (this.members.size > 0)
        throw new StreamNestError("UNKNOWN_MEMBER_ID", `group "${this.groupId}" has members; commit as one of them`);
      return;
    }
    this.check(memberId, generationId, now);
    // As Kafka's coordinator: a member of the current generation may still commit while the
    // group prepares a rebalance (an eager consumer commits what it consumed as it gives its
    // partitions up); only between the join and the sync is a commit REBALANCE_IN_PROGRESS.
    if (this.state === "CompletingRebalance")
      throw new StreamNestError("REBALANCE_IN_PROGRESS", `group "${this.groupId}" is completing a rebalance; sync first`);
  }

  /** Removes members whose session ran out (a member waiting in a join is alive until its rebalance timeout). */
  expire(now: number): void {
    for (const m of [...this.members.values()]) {
      if (m.joining) continue;
      if (now - m.lastSeen > m.sessionTimeoutMs) this.remove(m, "session timed out");
    }
  }

  describe(): MemberView[] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? new Uint8Array(0),
      assignment: m.assignment,
      sessionTimeoutMs: m.sessionTimeoutMs,
      lastSeen: m.lastSeen,
    }));
  }

  /** Fails every waiting call (the coordinator is going away). */
  close(): void {
    clearTimeout(this.rebalanceTimer);
    const gone = new StreamNestError("NOT_COORDINATOR", "the broker is shutting down");
    for (const m of this.members.values()) {
      m.joining?.reject(gone);
      m.syncing?.reject(gone);
    }
    this.state = "Dead";
  }

  private check(memberId: string, generationId: number, now: number): Member {
    const member = this.members.get(memberId);
    if (!member) throw new StreamNestError("UNKNOWN_MEMBER_ID", `member "${memberId}" is not in group "${this.groupId}"`);
    if (generationId !== this.generationId)
      throw new StreamNestError("ILLEGAL_GENERATION", `group "${this.groupId}" is at generation ${this.generationId}, not ${generationId}`);
    member.lastSeen = now;
    return member;
  }

  private syncResult(m: Member): SyncResult {
    return { protocolType: this.protocolType, protocolName: this.protocolName ?? "", assignment: m.assignment };
  }

  /**
   * Drops the member holding `instance`, if any, its waiting calls answered
   * FENCED_INSTANCE_ID, and returns it; no rebalance of its own (the join that replaces it
   * starts one, unless rejoinStable keeps the generation).
   */
  private fenceInstance(instance: string): Member | undefined {
    for (const old of this.members.values()) {
      if (old.groupInstanceId !== instance) continue;
      this.members.delete(old.memberId);
      const gone = fenced(`member "${old.memberId}" was replaced by a new member with group instance id "${instance}"`);
      old.joining?.reject(gone);
      old.syncing?.reject(gone);
      if (this.leader === old.memberId) this.leader = null;
      return old;
    }
    return undefined;
  }

  /**
   * A static member back in a Stable group under a new member id, as Kafka's coordinator
   * takes it (KIP-345, GroupCoordinator.updateStaticMemberAndRebalance): when the protocol
   * the group would choose is still the one it uses, the member steps into its old place
   * (its assignment, its leadership) in the current generation, and no member is
   * disturbed. The leader is told it need not assign (KIP-814's skipAssignment, JoinGroup
   * v9); a SyncGroup in a Stable group answers the kept assignment either way. Undefined:
   * the protocol would change, and the group rebalances as for any join.
   */
  private rejoinStable(old: Member, memberId: string, req: JoinRequest, now: number): JoinResult | undefined {
    const names = req.protocols.map((p) => p.name);
    const current = this.protocolName;
    if (current === null || !names.includes(current)) return undefined;
    const member = newMember(memberId, req, old.assignment, now);
    // fenceInstance cleared the leader if the old member held it: in a Stable group, only then is it null.
    const wasLeader = this.leader === null;
    this.members.set(memberId, member);
    if (wasLeader) this.leader = memberId;
    if (this.commonProtocol() !== current) {
      // Not kept after all: the member joins the rebalance this starts, as a new one would.
      this.members.delete(memberId);
      if (wasLeader) this.leader = null;
      return undefined;
    }
    const leader = this.leader ?? memberId;
    return {
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: current,
      leader,
      memberId,
      members: leader === memberId ? this.memberMetadata() : [],
      skipAssignment: leader === memberId,
    };
  }

  /** Every member's metadata under the group's protocol, as the leader's join answer lists it. */
  private memberMetadata(): JoinResult["members"] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? new Uint8Array(0),
    }));
  }

  private remove(member: Member, why: string): void {
    this.members.delete(member.memberId);
    const gone = new StreamNestError("UNKNOWN_MEMBER_ID", `member "${member.memberId}" ${why}`);
    member.joining?.reject(gone);
    member.syncing?.reject(gone);
    if (this.members.size === 0) {
      clearTimeout(this.rebalanceTimer);
      this.rebalanceTimer = undefined;
      this.state = "Empty";
      this.leader = null;
      this.protocolName = null;
      this.generationId++;
      return;
    }
    if (this.leader === member.memberId) this.leader = null;
    this.prepareRebalance(0);
    this.completeJoinIfReady();
  }

  /**
   * Enters PreparingRebalance: members not yet rejoined learn it from their next
   * heartbeat; the generation completes when all have rejoined or at the longest
   * rebalance timeout, without those that did not.
   */
  private prepareRebalance(delayMs: number): void {
    if (this.state === "PreparingRebalance") return;
    for (const m of this.members.values()) {
      m.syncing?.reject(new StreamNestError("REBALANCE_IN_PROGRESS", `group "${this.groupId}" is rebalancing; rejoin`));
      m.syncing = undefined;
    }
    this.state = "PreparingRebalance";
    const timeout = Math.max(delayMs, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    clearTimeout(this.rebalanceTimer);
    const startedDelay = Date.now() + delayMs;
    this.rebalanceTimer = setTimeout(() => this.completeJoin(true), timeout);
    this.delayUntil = startedDelay;
  }

  private delayUntil = 0;

  private completeJoinIfReady(): void {
    if (this.state !== "PreparingRebalance") return;
    const all = [...this.members.values()].every((m) => m.joining !== undefined);
    if (!all) return;
    const wait = this.delayUntil - Date.now();
    if (wait > 0) {
      clearTimeout(this.rebalanceTimer);
      this.rebalanceTimer = setTimeout(() => this.completeJoinIfReady(), wait);
      return;
    }
    this.completeJoin(false);
  }

  private completeJoin(timedOut: boolean): void {
    if (this.state !== "PreparingRebalance") return;
    clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = undefined;
    if (timedOut) for (const m of [...this.members.values()]) if (!m.joining) this.members.delete(m.memberId);
    if (this.members.size === 0) {
      this.state = "Empty";
      this.generationId++;
      return;
    }
    const members = [...this.members.values()];
    this.generationId++;
    this.protocolName = this.commonProtocol() ?? members[0].protocols[0]?.name ?? "";
    if (this.leader === null || !this.members.has(this.leader)) this.leader = members[0].memberId;
    this.state = "CompletingRebalance";
    const all = this.memberMetadata();
    const now = Date.now();
    for (const m of members) {
      m.lastSeen = now;
      m.joining?.resolve({
        generationId: this.generationId,
        protocolType: this.protocolType,
        protocolName: this.protocolName,
        leader: this.leader,
        memberId: m.memberId,
        members: m.memberId === this.leader ? all : [],
      });
      m.joining = undefined;
    }
  }

  /** The first protocol, in the leader's (else the first member's) order, that every member offers. */
  private commonProtocol(extra?: string[]): string | undefined {
    const members = [...this.members.values()];
    if (members.length === 0) return extra?.[0];
    const first = (this.leader !== null ? this.members.get(this.leader) : undefined) ?? members[0];
    // Name sets, one per member: a scan of every member's list for each name was cubic in
    // the protocols a join may name (two joins of 50,000 names held the event loop).
    const offered = members.map((m) => new Set(m.protocols.map((p) => p.name)));
    const wanted = extra === undefined ? undefined : new Set(extra);
    return first.protocols.map((p) => p.name).find((name) => offered.every((names) => names.has(name)) && (wanted === undefined || wanted.has(name)));
  }
}

/** A member as `req` joins, under `memberId`, holding `assignment`. */
function newMember(memberId: string, req: JoinRequest, assignment: Uint8Array, now: number): Member {
  return {
    memberId,
    groupInstanceId: req.groupInstanceId,
    clientId: req.clientId,
    clientHost: req.clientHost,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    protocols: req.protocols,
    assignment,
    lastSeen: now,
  };
}

function fenced(message: string): StreamNestError {
  return new StreamNestError("UNKNOWN_MEMBER_ID", message, { kafkaError: "FENCED_INSTANCE_ID", kafkaErrorCode: 82 });
}

function inconsistent(message: string): StreamNestError {
  return new StreamNestError("INVALID_REQUEST", message, { kafkaError: "INCONSISTENT_GROUP_PROTOCOL", kafkaErrorCode: 23 });
}
