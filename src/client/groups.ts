import type { StreamNestClient } from "./client.ts";

/**
 * The consumer-group routes of a StreamNest cluster (any broker answers; it hands the
 * call to the group's coordinator). Field names are the wire's.
 */

export interface GroupAssignment {
  topic: string;
  partition: number;
  /** Where to start reading: the committed offset, else the group's reset position. */
  offset: number;
  committed_offset: number | null;
}

export interface GroupJoinOptions {
  /** To rejoin: the id an earlier join answered. */
  memberId?: string;
  clientId?: string;
  assignor?: "range" | "roundrobin";
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  autoOffsetReset?: "earliest" | "latest";
  /** How long the broker may hold the join while the rest of the group rejoins. */
  waitMs?: number;
  signal?: AbortSignal;
}

export interface GroupJoinResult {
  member_id: string;
  generation: number;
  /** "Stable", or "PreparingRebalance": join again with member_id to get partitions. */
  state: string;
  assignor: string;
  assignments: GroupAssignment[];
  heartbeat_interval_ms: number;
  session_timeout_ms: number;
  auto_offset_reset: string;
  coordinator: { id: number; address: string };
}

export interface GroupHeartbeatResult {
  generation: number;
  state: string;
  heartbeat_interval_ms: number;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string;
}

export interface CommittedOffsetView {
  topic: string;
  partition: number;
  offset: number;
  metadata: string;
  commit_timestamp: number;
}

export interface GroupDescriptionView {
  group: string;
  state: string;
  generation: number;
  assignor: string | null;
  coordinator: { id: number; address: string };
  members: Array<{
    member_id: string;
    client_id: string;
    topics: string[];
    session_timeout_ms: number;
    auto_offset_reset: string;
    assignments: Array<{ topic: string; partition: number }>;
    last_seen: number;
  }>;
  partitions: Array<{
    topic: string;
    partition: number;
    member_id: string | null;
    committed_offset: number | null;
    end_offset: number | null;
    lag: number | null;
  }>;
}

export interface GroupListView {
  groups: Array<{ group: string; state: string; generation: number; members: number; coordinator: number }>;
  unreachable_brokers: number[];
}

function groupPath(group: string): string {
  return `/groups/${encodeURIComponent(group)}`;
}

export class GroupClient {
  constructor(private readonly client: StreamNestClient) {}

  join(group: string, topics: string[], options: GroupJoinOptions = {}): Promise<GroupJoinResult> {
    return this.client.json<GroupJoinResult>("POST", `${groupPath(group)}/members`, {
      body: {
        topics,
        member_id: options.memberId,
        client_id: options.clientId,
        assignor: options.assignor,
        session_timeout_ms: options.sessionTimeoutMs,
        rebalance_timeout_ms: options.rebalanceTimeoutMs,
        auto_offset_reset: options.autoOffsetReset,
        wait_ms: options.waitMs,
      },
      signal: options.signal,
      extraTimeoutMs: options.waitMs,
    });
  }

  heartbeat(group: string, memberId: string, generation: number, signal?: AbortSignal): Promise<GroupHeartbeatResult> {
    return this.client.json<GroupHeartbeatResult>("POST", `${groupPath(group)}/members/${encodeURIComponent(memberId)}/heartbeat`, {
      body: { generation },
      signal,
    });
  }

  async leave(group: string, memberId: string): Promise<void> {
    await this.client.json("DELETE", `${groupPath(group)}/members/${encodeURIComponent(memberId)}`);
  }

  /** Commits as member `memberId` of `generation` (both omitted: an admin commit to a group without members). */
  async commit(
    group: string,
    offsets: OffsetToCommit[],
    member?: { memberId: string; generation: number },
  ): Promise<Array<{ topic: string; partition: number; offset: number }>> {
    const answer = await this.client.json<{ offsets: Array<{ topic: string; partition: number; offset: number }> }>(
      "POST",
      `${groupPath(group)}/offsets`,
      { body: { member_id: member?.memberId, generation: member?.generation, offsets } },
    );
    return answer.offsets;
  }

  async offsets(group: string, topic?: string): Promise<CommittedOffsetView[]> {
    return (await this.client.json<{ offsets: CommittedOffsetView[] }>("GET", `${groupPath(group)}/offsets`, { query: { topic } })).offsets;
  }

  async deleteOffsets(group: string, topic?: string): Promise<Array<{ topic: string; partition: number }>> {
    return (await this.client.json<{ deleted: Array<{ topic: string; partition: number }> }>("DELETE", `${groupPath(group)}/offsets`, { query: { topic } }))
      .deleted;
  }

  describe(group: string): Promise<GroupDescriptionView> {
    return this.client.json<GroupDescriptionView>("GET", groupPath(group));
  }

  list(): Promise<GroupListView> {
    return this.client.json<GroupListView>("GET", "/groups");
  }
}
