/** Shapes shared by the consumer-group core; transport-free, so HTTP and (later) the Kafka protocol map onto them. */

export interface TopicPartition {
  topic: string;
  partition: number;
}

/**
 * Kafka's classic group states (KIP-848 keeps the same names). There is no
 * CompletingRebalance: the coordinator computes the assignment itself, so a rebalance
 * ends the moment the last member has rejoined.
 */
export type GroupState = "Empty" | "PreparingRebalance" | "Stable";

export type AutoOffsetReset = "earliest" | "latest";

export interface CommittedOffset extends TopicPartition {
  offset: number;
  metadata: string;
  /** Milliseconds since the epoch, when the coordinator accepted the commit. */
  commitTimestamp: number;
  /** Id of the topic incarnation it was committed for; absent in older records. */
  topicId?: string;
}

export interface JoinParams {
  /** Absent for a first join; the id the coordinator gave, to rejoin. */
  memberId?: string;
  clientId?: string;
  topics: string[];
  /** Assignor name; the group keeps the one its first member chose. */
  assignor?: string;
  sessionTimeoutMs?: number;
  /** How long the others wait for this member to rejoin once a rebalance starts. */
  rebalanceTimeoutMs?: number;
  autoOffsetReset?: AutoOffsetReset;
  /** Long-poll: wait up to this long for a pending rebalance to complete. */
  waitMs?: number;
}

export interface JoinResult {
  memberId: string;
  generation: number;
  state: GroupState;
  assignor: string;
  /** Empty while the rebalance is still waiting for other members: rejoin to get them. */
  assignments: TopicPartition[];
  heartbeatIntervalMs: number;
  sessionTimeoutMs: number;
  autoOffsetReset: AutoOffsetReset;
}

export interface HeartbeatResult {
  generation: number;
  state: GroupState;
  heartbeatIntervalMs: number;
}

export interface CommitParams {
  /** Absent only for an admin commit to a group without members (Kafka's "simple" commit). */
  memberId?: string;
  generation?: number;
  offsets: Array<TopicPartition & { offset: number; metadata?: string }>;
  /**
   * Take any offset, even past the log's end: Kafka's OffsetCommit stores whatever a client
   * commits (librdkafka's 0099 commits offset 42 of an empty topic). HTTP commits are checked.
   */
  anyOffset?: boolean;
}

export interface MemberDescription {
  memberId: string;
  clientId: string;
  topics: string[];
  sessionTimeoutMs: number;
  /** "client": a Kafka consumer, whose own auto.offset.reset decides (the coordinator never learns it). */
  autoOffsetReset: AutoOffsetReset | "client";
  /** Partitions this member owns in the current generation (empty until it rejoins). */
  assignments: TopicPartition[];
  /** Milliseconds since the epoch of the last request from this member. */
  lastSeen: number;
}

export interface GroupDescription {
  group: string;
  state: GroupState;
  generation: number;
  assignor: string | null;
  members: MemberDescription[];
  offsets: CommittedOffset[];
}

export interface GroupSummary {
  group: string;
  state: GroupState;
  generation: number;
  members: number;
}

/**
 * A group whose members another door's coordinator holds: the Kafka listener's classic
 * groups (kafka/groups/), which share a group's id and committed offsets with the HTTP
 * groups but keep their membership in memory of their own. The HTTP views show them, and
 * an offset change from outside the group is refused while they have members.
 */
export interface ForeignGroup {
  state: GroupState;
  generation: number;
  assignor: string | null;
  members: MemberDescription[];
}

export interface ForeignGroups {
  view(group: string): ForeignGroup | undefined;
  list(): GroupSummary[];
}
