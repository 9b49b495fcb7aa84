import { assertGroupId } from "../../broker/groups.ts";
import { KAFKA_LIMITS } from "../../config/kafka.ts";
import { errorMessage } from "../error-map.ts";
import { protocolError } from "../protocol/error-codes.ts";
import type { ForeignGroup, ForeignGroups, GroupState, GroupSummary } from "../../broker/groups.ts";
import { ClassicGroup, DEFAULT_INITIAL_REBALANCE_DELAY_MS } from "./classic-group.ts";
import { assignedPartitions, subscribedTopics } from "./consumer-protocol.ts";

/**
 * The classic (client-assigned) groups of the Kafka clients connected to this broker,
 * by id. Membership lives here, in memory, like a Kafka coordinator's after a restart
 * (members simply rejoin); committed offsets go to the core's `__consumer_offsets`
 * through the same group service the HTTP API uses, so `GET /groups/:group` shows a
 * Kafka group's offsets and lag.
 */
export class ClassicGroups implements ForeignGroups {
  private readonly groups = new Map<string, ClassicGroup>();
  /** When each group was first seen with no members by an expiry check. */
  private readonly emptySince = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;
  private lastCheck = Date.now();

  constructor(
    private readonly expiryCheckMs = 500,
    /** Kafka's group.initial.rebalance.delay.ms for the groups opened here. */
    private readonly initialRebalanceDelayMs = DEFAULT_INITIAL_REBALANCE_DELAY_MS,
    /** A group with no members is forgotten after this (KAFKA_LIMITS.emptyGroupRetentionMs). */
    private readonly emptyGroupRetentionMs = KAFKA_LIMITS.emptyGroupRetentionMs.value,
  ) {
    this.timer = setInterval(() => this.expire(Date.now()), expiryCheckMs);
    this.timer.unref?.();
  }

  /** The group, created when absent (a JoinGroup names a new group). */
  open(groupId: string): ClassicGroup {
    // Kafka's answer to a group id it cannot use (the empty one): INVALID_GROUP_ID.
    try {
      assertGroupId(groupId);
    } catch (error) {
      throw protocolError("INVALID_REQUEST", "INVALID_GROUP_ID", errorMessage(error));
    }
    let group = this.groups.get(groupId);
    if (!group) this.groups.set(groupId, (group = new ClassicGroup(groupId, this.initialRebalanceDelayMs)));
    return group;
  }

  get(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  list(): GroupSummary[] {
    return [...this.groups.values()].map((g) => ({ group: g.groupId, state: viewState(g.state), generation: g.generationId, members: g.size }));
  }

  /** A group as GET /groups/:group shows it (ForeignGroups); undefined when no Kafka client opened it. */
  view(groupId: string): ForeignGroup | undefined {
    const g = this.groups.get(groupId);
    if (g === undefined) return undefined;
    const consumer = g.protocolType === "consumer";
    return {
      state: viewState(g.state),
      generation: g.generationId,
      assignor: g.protocolName,
      members: g.describe().map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        topics: (consumer ? subscribedTopics(m.metadata) : undefined) ?? [],
        sessionTimeoutMs: m.sessionTimeoutMs,
        autoOffsetReset: "client" as const,
        assignments: (consumer ? assignedPartitions(m.assignment) : undefined) ?? [],
        lastSeen: m.lastSeen,
      })),
    };
  }

  /** The groups themselves, for the Kafka handlers (ListGroups). */
  all(): ClassicGroup[] {
    return [...this.groups.values()];
  }

  close(): void {
    clearInterval(this.timer);
    for (const g of this.groups.values()) g.close();
    this.groups.clear();
    this.emptySince.clear();
  }

  /**
   * Ends the sessions that ran out, unless this check itself came late: then the broker's
   * event loop stalled (an overloaded machine), heartbeats that arrived meanwhile are still
   * unread in their sockets, and timers run before sockets are read. Those members get one
   * more round rather than being blamed for the broker's own stall (librdkafka's 0050 lost
   * its member this way: a heartbeat answered 3 s late with UNKNOWN_MEMBER_ID).
   */
  expire(now: number): void {
    const late = now - this.lastCheck > 2 * this.expiryCheckMs;
    this.lastCheck = now;
    if (late) return;
    for (const g of this.groups.values()) g.expire(now);
    for (const [id, g] of this.groups) {
      if (g.size > 0 || g.state !== "Empty") {
        this.emptySince.delete(id);
        continue;
      }
      const since = this.emptySince.get(id) ?? now;
      if (now - since < this.emptyGroupRetentionMs) {
        this.emptySince.set(id, since);
        continue;
      }
      // No member holds its generation: a later join starts the group afresh.
      this.groups.delete(id);
      this.emptySince.delete(id);
      g.close();
    }
  }
}

/** Kafka's states as the HTTP view's three: a rebalance under way is PreparingRebalance until the group is Stable again. */
function viewState(state: ClassicGroup["state"]): GroupState {
  return state === "Stable" ? "Stable" : state === "Empty" || state === "Dead" ? "Empty" : "PreparingRebalance";
}
