import { StreamNestError } from "../lib/errors.ts";
import { assertTopicName } from "../lib/topic-name.ts";

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
}

/**
 * One immutable snapshot. Topics are a Map because a legal topic name such as
 * `__proto__` must never touch an object's prototype.
 */
export interface MetadataDocument {
  readonly version: number;
  readonly brokers: readonly BrokerRef[];
  readonly topics: ReadonlyMap<string, TopicMetadata>;
}

export type MetadataChange =
  | { type: "create-topic"; topic: string; topicId: string; partitions: PartitionAssignment[]; createdAt: number }
  | { type: "delete-topic"; topic: string }
  | { type: "register-schema"; topic: string; schema: Record<string, unknown>; registeredAt: number }
  | { type: "set-brokers"; brokers: BrokerRef[] }
  | { type: "register-broker"; broker: { id: number; address: string; incarnation: number } }
  | { type: "fence-broker"; id: number; incarnation: number };

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
      topics.set(change.topic, {
        name: change.topic,
        id: change.topicId,
        partitions: change.partitions.map((p) => ({ ...p, replicas: [...p.replicas] })),
        schemas: [],
        createdAt: change.createdAt,
      });
      return { document: { version: doc.version + 1, brokers: doc.brokers, topics }, changed: true };
    }
    case "delete-topic": {
      if (!doc.topics.has(change.topic)) return { document: doc, changed: false };
      const topics = new Map(doc.topics);
      topics.delete(change.topic);
      return { document: { version: doc.version + 1, brokers: doc.brokers, topics }, changed: true };
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
      return { document: { version: doc.version + 1, brokers: doc.brokers, topics }, changed: true };
    }
    case "register-broker":
    case "fence-broker":
      return applyRegistration(doc, change);
    case "set-brokers": {
      const brokers = sortBrokers(change.brokers);
      if (JSON.stringify(brokers) === JSON.stringify(doc.brokers)) return { document: doc, changed: false };
      return { document: { version: doc.version + 1, brokers, topics: doc.topics }, changed: true };
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
  return { document: { version: doc.version + 1, brokers, topics: doc.topics }, changed: true };
}

/** The broker address for an id, if the document knows it. */
export function brokerAddress(doc: MetadataDocument, id: number): string | undefined {
  return doc.brokers.find((b) => b.id === id)?.address;
}
