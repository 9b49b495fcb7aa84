import { StreamNestError } from "../lib/errors.ts";
import { assertTopicName } from "../lib/topic-name.ts";
import { applySecurityChange, EMPTY_SECURITY_STATE, type SecurityState } from "../auth/security-state.ts";
import { parseSecurityChange, type SecurityChange } from "../auth/security-change.ts";
import { addPartitions, type CreatePartitionsChange } from "./metadata-partitions.ts";

/**
 * The cluster metadata model: which topics exist, where each partition lives, and the
 * schemas registered for each topic. Every broker holds a copy; every change goes
 * through `applyChange`, a pure function, so the same ordered list of changes yields
 * the same document on every broker (the controller orders them, peers replay them).
 * The shape follows Kafka's metadata records (TopicRecord, PartitionRecord in KIP-631):
 * per partition the replica set, the leader and the leader epoch, so replication fits
 * later without a format change.
 */

/** A broker as metadata names it. */
export interface BrokerRef {
  id: number;
  /** host:port that clients and other brokers use to reach it. */
  address: string;
  /**
   * With the metadata quorum: the incarnation the broker registered with (its process
   * start time; a restart registers a later one) and whether the quorum leader fenced
   * it for missing heartbeats (Kafka's broker registration and fencing, KIP-631).
   */
  incarnation?: number;
  fenced?: boolean;
}

export interface PartitionAssignment {
  partition: number;
  /** Broker ids holding a replica; today one entry. */
  replicas: number[];
  leader: number;
  /** Bumped whenever the leader changes, so stale leaders can be fenced (KIP-101). */
  leaderEpoch: number;
  /** In-sync replicas; absent (a single replica, or a document from before replication): the replicas. */
  isr?: number[];
  /** Bumped with every change of this partition's record (AlterPartition's compare-and-set); absent: 0. */
  partitionEpoch?: number;
}

export interface SchemaVersion {
  version: number;
  schema: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  registeredAt: number;
}

export interface TopicMetadata {
  name: string;
  /** Unique per incarnation, so a topic deleted and created again is a new topic (KIP-516). */
  id: string;
  partitions: PartitionAssignment[];
  /** Oldest first; the last one is enforced on produce. */
  schemas: SchemaVersion[];
  createdAt: number;
  /** Absent: 1 (topics from before replication). */
  replicationFactor?: number;
  /** Absent: 1. acks=all is refused while the ISR is smaller. */
  minInsyncReplicas?: number;
  /** Per-topic settings that override the broker's; absent: none set. */
  config?: TopicConfig;
}

/**
 * A topic's own settings (Kafka's topic-level configs retention.ms and retention.bytes):
 * each one set here wins over the broker's flag of the same name for this topic only.
 */
export interface TopicConfig {
  retentionMs?: number;
  retentionBytes?: number;
}

/** The settings a topic config may hold, with their Kafka names (DescribeConfigs, CreateTopics). */
export const TOPIC_CONFIG_KEYS = { retentionMs: "retention.ms", retentionBytes: "retention.bytes" } as const;

/**
 * One immutable snapshot. Topics are a Map because a legal topic name such as
 * `__proto__` must never touch an object's prototype.
 */
export interface MetadataDocument {
  readonly version: number;
  readonly brokers: readonly BrokerRef[];
  readonly topics: ReadonlyMap<string, TopicMetadata>;
  /**
   * Users, API token hashes and ACL bindings (issue 14), replicated like topics so every
   * broker authenticates and authorizes alike. Absent: none (a document from before).
   */
  readonly security?: SecurityState;
}

/** A `security` change as it arrived from another broker or the log, checked field by field. */
export function parseSecurityMetadataChange(change: unknown): MetadataChange {
  return { type: "security", change: parseSecurityChange(change) };
}

/** The document's security state (empty when it has none). */
export function securityOf(doc: MetadataDocument): SecurityState {
  return doc.security ?? EMPTY_SECURITY_STATE;
}

export type MetadataChange =
  | {
      type: "create-topic";
      topic: string;
      topicId: string;
      partitions: PartitionAssignment[];
      createdAt: number;
      replicationFactor?: number;
      minInsyncReplicas?: number;
      config?: TopicConfig;
    }
  | AlterPartitionChange
  /** Replaces a topic's settings (Kafka's AlterConfigs: what is not named is unset). */
  | { type: "set-topic-config"; topic: string; topicId: string; config: TopicConfig }
  | CreatePartitionsChange
  | { type: "delete-topic"; topic: string }
  | { type: "register-schema"; topic: string; schema: Record<string, unknown>; registeredAt: number }
  | { type: "set-brokers"; brokers: BrokerRef[] }
  | { type: "register-broker"; broker: { id: number; address: string; incarnation: number } }
  | { type: "fence-broker"; id: number; incarnation: number }
  | { type: "security"; change: SecurityChange };

/**
 * A partition's leader, ISR and epochs replaced (Kafka's AlterPartition and leader
 * election, KIP-497/KIP-631): applied only if the partition still has the leader epoch
 * and partition epoch it was computed from, so a deposed (zombie) leader can neither
 * shrink the ISR to itself nor undo a newer election.
 */
export interface AlterPartitionChange {
  type: "alter-partition";
  topic: string;
  topicId: string;
  partition: number;
  leader: number;
  isr: number[];
  leaderEpoch: number;
  partitionEpoch: number;
  expectedLeaderEpoch: number;
  expectedPartitionEpoch: number;
}

export interface ApplyResult {
  document: MetadataDocument;
  /** False when the change was already in effect (e.g. creating an identical topic). */
  changed: boolean;
}

export function emptyMetadata(brokers: BrokerRef[] = []): MetadataDocument {
  return { version: 0, brokers: sortBrokers(brokers), topics: new Map() };
}

export function sortBrokers(brokers: readonly BrokerRef[]): BrokerRef[] {
  return [...brokers].sort((a, b) => a.id - b.id);
}

/**
 * Applies one change. A change that conflicts with the document throws and leaves it
 * untouched; one that is already in effect returns the same document with
 * `changed: false`, so replaying a change (a retried push) is harmless.
 */
export function applyChange(doc: MetadataDocument, change: MetadataChange): ApplyResult {
  switch (change.type) {
    case "create-topic": {
      // Names become folder names; a change from a peer is checked like a request.
      assertTopicName(change.topic);
      if (change.partitions.length === 0 || change.partitions.some((p, i) => p.partition !== i))
        throw new StreamNestError("INVALID_PARTITIONS", `topic "${change.topic}" needs partitions 0..n-1 in order`);
      const existing = doc.topics.get(change.topic);
      if (existing) {
        if (existing.partitions.length === change.partitions.length) return { document: doc, changed: false };
        throw new StreamNestError(
          "TOPIC_EXISTS",
          `topic "${change.topic}" already exists with ${existing.partitions.length} partition${existing.partitions.length === 1 ? "" : "s"}`,
        );
      }
      const topics = new Map(doc.topics);
      const created: TopicMetadata = {
        name: change.topic,
        id: change.topicId,
        partitions: change.partitions.map((p) => ({ ...p, replicas: [...p.replicas], ...(p.isr ? { isr: [...p.isr] } : {}) })),
        schemas: [],
        createdAt: change.createdAt,
      };
      // Only replicated topics carry the fields, so a single-replica topic's record is as before.
      if (change.replicationFactor !== undefined && change.replicationFactor > 1) created.replicationFactor = change.replicationFactor;
      if (change.minInsyncReplicas !== undefined && change.minInsyncReplicas > 1) created.minInsyncReplicas = change.minInsyncReplicas;
      if (change.config !== undefined && Object.keys(change.config).length > 0) created.config = { ...change.config };
      topics.set(change.topic, created);
      return { document: { ...doc, version: doc.version + 1, topics }, changed: true };
    }
    case "delete-topic": {
      if (!doc.topics.has(change.topic)) return { document: doc, changed: false };
      const topics = new Map(doc.topics);
      topics.delete(change.topic);
      return { document: { ...doc, version: doc.version + 1, topics }, changed: true };
    }
    case "register-schema": {
      const existing = doc.topics.get(change.topic);
      if (!existing) throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${change.topic}" does not exist`);
      const topics = new Map(doc.topics);
      const version = (existing.schemas.at(-1)?.version ?? 0) + 1;
      topics.set(change.topic, {
        ...existing,
        schemas: [...existing.schemas, { version, schema: change.schema, registeredAt: change.registeredAt }],
      });
      return { document: { ...doc, version: doc.version + 1, topics }, changed: true };
    }
    case "set-topic-config": {
      const existing = doc.topics.get(change.topic);
      // The id guards against a topic deleted and created again meanwhile (KIP-516).
      if (!existing || existing.id !== change.topicId) throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${change.topic}" does not exist`);
      const { config: _old, ...rest } = existing;
      const next: TopicMetadata = Object.keys(change.config).length > 0 ? { ...rest, config: { ...change.config } } : rest;
      if (JSON.stringify(existing.config ?? {}) === JSON.stringify(next.config ?? {})) return { document: doc, changed: false };
      const topics = new Map(doc.topics);
      topics.set(change.topic, next);
      return { document: { ...doc, version: doc.version + 1, topics }, changed: true };
    }
    case "register-broker":
    case "fence-broker":
      return applyRegistration(doc, change);
    case "alter-partition":
      return alterPartition(doc, change);
    case "security": {
      const before = securityOf(doc);
      // Adding a binding that exists or removing one that does not changes nothing (as Kafka's CreateAcls/DeleteAcls).
      const security = applySecurityChange(before, change.change);
      if (security === before) return { document: doc, changed: false };
      return { document: { ...doc, version: doc.version + 1, security }, changed: true };
    }
    case "create-partitions":
      return addPartitions(doc, change);
    case "set-brokers": {
      const brokers = sortBrokers(change.brokers);
      if (JSON.stringify(brokers) === JSON.stringify(doc.brokers)) return { document: doc, changed: false };
      return { document: { ...doc, version: doc.version + 1, brokers }, changed: true };
    }
  }
}

/**
 * A broker registers (again) with a later incarnation, or the same one once fenced; an
 * earlier incarnation than the registered one is a process that was replaced, and is
 * refused. Fencing names the incarnation it fences, so a fence decided before the broker
 * came back does not fence its new incarnation.
 */
function applyRegistration(
  doc: MetadataDocument,
  change: Extract<MetadataChange, { type: "register-broker" } | { type: "fence-broker" }>,
): ApplyResult {
  const id = change.type === "register-broker" ? change.broker.id : change.id;
  const current = doc.brokers.find((b) => b.id === id);
  let next: BrokerRef;
  if (change.type === "register-broker") {
    const { incarnation, address } = change.broker;
    if (current?.incarnation !== undefined && incarnation < current.incarnation)
      throw new StreamNestError("STALE_BROKER_EPOCH", `broker ${id} incarnation ${incarnation} was replaced by incarnation ${current.incarnation}`);
    if (current && current.incarnation === incarnation && current.address === address && current.fenced === false)
      return { document: doc, changed: false };
    next = { id, address, incarnation, fenced: false };
  } else {
    if (!current || current.incarnation !== change.incarnation || current.fenced === true) return { document: doc, changed: false };
    next = { ...current, fenced: true };
  }
  const brokers = sortBrokers([...doc.brokers.filter((b) => b.id !== id), next]);
  return { document: { ...doc, version: doc.version + 1, brokers }, changed: true };
}

/** The in-sync replicas of a partition (its replicas when the record predates replication). */
export function isrOf(p: PartitionAssignment): number[] {
  return p.isr ?? p.replicas;
}

export function partitionEpochOf(p: PartitionAssignment): number {
  return p.partitionEpoch ?? 0;
}

function alterPartition(doc: MetadataDocument, change: AlterPartitionChange): ApplyResult {
  const topic = doc.topics.get(change.topic);
  if (!topic || topic.id !== change.topicId)
    throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${change.topic}" (id ${change.topicId}) does not exist`);
  const current = topic.partitions[change.partition];
  if (!current) throw new StreamNestError("PARTITION_OUT_OF_RANGE", `topic "${change.topic}" has no partition ${change.partition}`);
  const same =
    current.leader === change.leader &&
    current.leaderEpoch === change.leaderEpoch &&
    partitionEpochOf(current) === change.partitionEpoch &&
    JSON.stringify(isrOf(current)) === JSON.stringify(change.isr);
  if (same) return { document: doc, changed: false };
  if (current.leaderEpoch !== change.expectedLeaderEpoch || partitionEpochOf(current) !== change.expectedPartitionEpoch)
    throw new StreamNestError(
      "FENCED_LEADER_EPOCH",
      `partition ${change.partition} of "${change.topic}" is at leader epoch ${current.leaderEpoch} and partition epoch ${partitionEpochOf(current)}; the change was made for ${change.expectedLeaderEpoch} and ${change.expectedPartitionEpoch}`,
      { leaderEpoch: current.leaderEpoch, partitionEpoch: partitionEpochOf(current) },
    );
  const newLeader = change.leaderEpoch !== current.leaderEpoch;
  if (
    change.partitionEpoch !== partitionEpochOf(current) + 1 ||
    (newLeader ? change.leaderEpoch !== current.leaderEpoch + 1 : change.leader !== current.leader) ||
    change.isr.length === 0 ||
    !change.isr.every((b) => current.replicas.includes(b)) ||
    new Set(change.isr).size !== change.isr.length ||
    !change.isr.includes(change.leader)
  )
    throw new StreamNestError(
      "INVALID_REQUEST",
      `partition change of ${change.partition} of "${change.topic}" is not a valid step: leader ${change.leader} epoch ${change.leaderEpoch}, ISR [${change.isr.join(",")}], partition epoch ${change.partitionEpoch}`,
    );
  const partitions = [...topic.partitions];
  partitions[change.partition] = {
    ...current,
    leader: change.leader,
    leaderEpoch: change.leaderEpoch,
    isr: [...change.isr],
    partitionEpoch: change.partitionEpoch,
  };
  const topics = new Map(doc.topics);
  topics.set(change.topic, { ...topic, partitions });
  return { document: { ...doc, version: doc.version + 1, topics }, changed: true };
}

/** The broker address for an id, if the document knows it. */
export function brokerAddress(doc: MetadataDocument, id: number): string | undefined {
  return doc.brokers.find((b) => b.id === id)?.address;
}
