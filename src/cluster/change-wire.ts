import { StreamNestError } from "../lib/errors.ts";
import { topicNameProblem } from "../lib/topic-name.ts";
import { type BrokerRef, type MetadataChange, type PartitionAssignment, parseSecurityMetadataChange, type TopicConfig } from "../broker/metadata.ts";

/**
 * What the quorum leader answers for one committed change (POST /internal/quorum/propose):
 * whether it changed anything and the committed offset it was applied at (it crosses the
 * wire, so no document).
 */
export interface ChangeOutcome {
  changed: boolean;
  version: number;
}

/**
 * Checks a metadata change that arrived from another broker before the quorum leader
 * appends it: a malformed one is refused with 400 and never reaches the log.
 */
export function parseMetadataChange(value: unknown): MetadataChange {
  const v = record(value, "change");
  switch (v.type) {
    case "create-topic": {
      if (typeof v.topicId !== "string" || v.topicId === "") throw invalid("create-topic needs a topicId");
      if (!Array.isArray(v.partitions) || v.partitions.length === 0) throw invalid("create-topic needs partitions");
      const partitions = v.partitions.map((p, i) => partition(p, i));
      return {
        type: "create-topic",
        topic: topic(v.topic),
        topicId: v.topicId,
        partitions,
        createdAt: time(v.createdAt),
        ...(v.replicationFactor !== undefined ? { replicationFactor: count(v.replicationFactor, "replicationFactor") } : {}),
        ...(v.minInsyncReplicas !== undefined ? { minInsyncReplicas: count(v.minInsyncReplicas, "minInsyncReplicas") } : {}),
        ...(v.config !== undefined ? { config: topicConfig(v.config) } : {}),
      };
    }
    case "set-topic-config": {
      if (typeof v.topicId !== "string" || v.topicId === "") throw invalid("set-topic-config needs a topicId");
      return { type: "set-topic-config", topic: topic(v.topic), topicId: v.topicId, config: topicConfig(v.config) };
    }
    case "alter-partition": {
      if (typeof v.topicId !== "string" || v.topicId === "") throw invalid("alter-partition needs a topicId");
      if (!Array.isArray(v.isr)) throw invalid("alter-partition needs an isr");
      return {
        type: "alter-partition",
        topic: topic(v.topic),
        topicId: v.topicId,
        partition: epoch(v.partition, "partition"),
        leader: brokerId(v.leader),
        isr: v.isr.map(brokerId),
        leaderEpoch: epoch(v.leaderEpoch, "leaderEpoch"),
        partitionEpoch: epoch(v.partitionEpoch, "partitionEpoch"),
        expectedLeaderEpoch: epoch(v.expectedLeaderEpoch, "expectedLeaderEpoch"),
        expectedPartitionEpoch: epoch(v.expectedPartitionEpoch, "expectedPartitionEpoch"),
      };
    }
    case "create-partitions": {
      if (typeof v.topicId !== "string" || v.topicId === "") throw invalid("create-partitions needs a topicId");
      if (!Array.isArray(v.partitions) || v.partitions.length === 0) throw invalid("create-partitions needs partitions");
      const first = epoch((v.partitions[0] as { partition?: unknown } | null)?.partition, "partitions[0].partition");
      return { type: "create-partitions", topic: topic(v.topic), topicId: v.topicId, partitions: v.partitions.map((p, i) => partition(p, i, first)) };
    }
    case "delete-topic":
      return { type: "delete-topic", topic: topic(v.topic) };
    case "register-schema": {
      if (v.schema === null || typeof v.schema !== "object" || Array.isArray(v.schema))
        throw invalid("register-schema needs a schema object");
      return {
        type: "register-schema",
        topic: topic(v.topic),
        schema: v.schema as Record<string, unknown>,
        registeredAt: time(v.registeredAt),
      };
    }
    case "set-brokers": {
      if (!Array.isArray(v.brokers)) throw invalid("set-brokers needs brokers");
      return { type: "set-brokers", brokers: v.brokers.map(broker) };
    }
    case "register-broker": {
      const b = record(v.broker, "broker");
      if (typeof b.address !== "string" || b.address === "") throw invalid("register-broker needs an address");
      return { type: "register-broker", broker: { id: brokerId(b.id), address: b.address, incarnation: incarnation(b.incarnation) } };
    }
    case "fence-broker":
      return { type: "fence-broker", id: brokerId(v.id), incarnation: incarnation(v.incarnation) };
    case "security":
      return parseSecurityMetadataChange(v.change);
    default:
      throw invalid(`unknown change type ${JSON.stringify(v.type)}`);
  }
}

function invalid(message: string): StreamNestError {
  return new StreamNestError("INVALID_REQUEST", `malformed metadata change: ${message}`);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function topic(value: unknown): string {
  const problem = topicNameProblem(value);
  if (problem !== undefined) throw new StreamNestError("INVALID_TOPIC_NAME", problem);
  return value as string;
}

function time(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalid("timestamps must be numbers");
  return value;
}

function brokerId(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw invalid("broker ids must be integers ≥ 0");
  return value;
}

function incarnation(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw invalid("an incarnation must be an integer ≥ 0");
  return value;
}

/** `first`: the number of the first partition listed (0 for a new topic, the old count for added ones). */
function partition(value: unknown, index: number, first = 0): PartitionAssignment {
  const p = record(value, `partitions[${index}]`);
  if (p.partition !== first + index) throw invalid(`partitions[${index}] must be partition ${first + index}`);
  if (!Array.isArray(p.replicas) || p.replicas.length === 0) throw invalid(`partitions[${index}] needs replicas`);
  const replicas = p.replicas.map(brokerId);
  const leader = brokerId(p.leader);
  if (!replicas.includes(leader)) throw invalid(`partitions[${index}]: the leader must be a replica`);
  if (typeof p.leaderEpoch !== "number" || !Number.isSafeInteger(p.leaderEpoch) || p.leaderEpoch < 0)
    throw invalid(`partitions[${index}] needs a leaderEpoch`);
  const base: PartitionAssignment = { partition: first + index, replicas, leader, leaderEpoch: p.leaderEpoch };
  if (p.isr !== undefined) {
    if (!Array.isArray(p.isr)) throw invalid(`partitions[${index}].isr must be a list`);
    base.isr = p.isr.map(brokerId);
  }
  if (p.partitionEpoch !== undefined) base.partitionEpoch = epoch(p.partitionEpoch, `partitions[${index}].partitionEpoch`);
  return base;
}

function epoch(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw invalid(`${what} must be an integer ≥ 0`);
  return value;
}

function count(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) throw invalid(`${what} must be an integer ≥ 1`);
  return value;
}

/** Only the known settings, each a non-negative safe integer. */
function topicConfig(value: unknown): TopicConfig {
  const c = record(value, "config");
  const config: TopicConfig = {};
  for (const [key, setting] of Object.entries(c)) {
    if (key !== "retentionMs" && key !== "retentionBytes") throw invalid(`unknown topic setting ${JSON.stringify(key)}`);
    if (typeof setting !== "number" || !Number.isSafeInteger(setting) || setting < 0) throw invalid(`${key} must be an integer ≥ 0`);
    config[key] = setting;
  }
  return config;
}

function broker(value: unknown, index: number): BrokerRef {
  const b = record(value, `brokers[${index}]`);
  if (typeof b.address !== "string" || b.address === "") throw invalid(`brokers[${index}] needs an address`);
  return { id: brokerId(b.id), address: b.address };
}
