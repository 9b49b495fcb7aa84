import { StreamNestError } from "../lib/errors.ts";
import { assertTopicName } from "../lib/topic-name.ts";
import { checkNewSchema } from "../schema/registry.ts";
import type { CoreContext } from "./core-context.ts";
import { type BrokerRef, isrOf, type MetadataDocument, type SchemaVersion, type TopicConfig, type TopicMetadata } from "./metadata.ts";
import { assertReplicationFactor, placePartitions } from "./metadata-placement.ts";
import { isInternalTopic, OFFSETS_TOPIC } from "./topic-catalog.ts";
import type { ClusterMetadataView, PartitionDescription, PartitionRange, TopicDescription, TopicReplicationView } from "./types.ts";

/**
 * Topics and their schemas: create, delete, describe, list, register a schema. Every
 * change goes through the metadata proposer; the broker applies whatever lands in its
 * store (metadata-application.ts), whoever proposed it.
 */

/** Longest file name most file systems allow (NAME_MAX on Linux and macOS, NTFS's limit). */
const MAX_FOLDER_NAME = 255;

/** Replication asked of a new topic; each defaults as Kafka's broker settings do. */
export interface TopicReplication {
  /** Default: --default-replication-factor (3), capped at the live (registered, unfenced) brokers. */
  replicationFactor?: number;
  /** Default: 2, or 1 when the factor is 1 (Kafka's min.insync.replicas). */
  minInsyncReplicas?: number;
  /** The topic's own settings (retention); absent ones follow the broker's flags. */
  config?: TopicConfig;
}

/** "created", or "exists" when the topic is already there with this partition count. */
export async function addTopic(
  ctx: CoreContext,
  topic: string,
  partitions: number,
  replication: TopicReplication = {},
): Promise<"created" | "exists"> {
  assertTopicName(topic);
  const max = ctx.config.maxPartitions;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > max)
    throw new StreamNestError("INVALID_PARTITIONS", `partitions must be an integer from 1 to ${max}, got ${String(partitions)}`);
  // Each partition is a folder "<topic>-<p>"; file systems allow 255 bytes per name, so
  // a long name leaves room for fewer partitions (249 characters: up to 10,000).
  const longest = `${topic}-${partitions - 1}`.length;
  if (longest > MAX_FOLDER_NAME)
    throw new StreamNestError(
      "INVALID_PARTITIONS",
      `a topic named with ${topic.length} characters can have at most ${10 ** (MAX_FOLDER_NAME - topic.length - 1)} partitions (its folders "<topic>-<partition>" must fit in ${MAX_FOLDER_NAME} characters), not ${partitions}`,
    );
  const existing = ctx.metadata.topic(topic);
  if (existing) {
    if (existing.partitions.length === partitions) return "exists";
    throw new StreamNestError(
      "TOPIC_EXISTS",
      `topic "${topic}" already exists with ${existing.partitions.length} partition${existing.partitions.length === 1 ? "" : "s"}, not ${partitions}`,
    );
  }
  // Partition folders are named after the topic, and macOS and Windows file systems
  // ignore case: "Demo" and "demo" would share (and delete) each other's logs there.
  // The other topic is not named: the caller may be allowed to create this name and not
  // to describe that one, and must not learn its exact name from a refusal (issue 14).
  if (ctx.catalog.caseVariantOf(topic) !== undefined)
    throw new StreamNestError(
      "INVALID_TOPIC_NAME",
      `topic "${topic}" differs from an existing topic only in case; their folders would collide on case-insensitive file systems (macOS, Windows)`,
    );
  // Kafka refuses it too (a team moving to Kafka could not create both); not named either.
  if (ctx.catalog.periodVariantOf(topic) !== undefined)
    throw new StreamNestError(
      "INVALID_TOPIC_NAME",
      `topic "${topic}" collides with an existing topic once "." and "_" are taken as one; Kafka refuses such names, as its metric names would clash`,
    );
  const brokers = liveBrokers(ctx);
  const factor = replication.replicationFactor ?? Math.min(ctx.config.defaultReplicationFactor, brokers.length);
  // The factor first: a bad one would otherwise be reported as a bad min_insync_replicas.
  assertReplicationFactor(factor, brokers.length);
  const minIsr = replication.minInsyncReplicas ?? (factor === 1 ? 1 : 2);
  if (!Number.isInteger(minIsr) || minIsr < 1 || minIsr > factor)
    throw new StreamNestError(
      "INVALID_REQUEST",
      `min_insync_replicas must be an integer from 1 to the replication factor ${factor}, got ${String(minIsr)}`,
    );
  const placed = placePartitions(brokers, partitions, factor);
  // A topic of the same name being deleted must be gone from disk first.
  await ctx.logs.settleDeletions();
  const { changed } = await ctx.proposer.propose({
    type: "create-topic",
    topic,
    topicId: crypto.randomUUID(),
    partitions: placed,
    createdAt: Date.now(),
    ...(factor > 1 ? { replicationFactor: factor, minInsyncReplicas: minIsr } : {}),
    ...(replication.config !== undefined && Object.keys(replication.config).length > 0 ? { config: checkTopicConfig(replication.config) } : {}),
  });
  return changed ? "created" : "exists";
}

/** Settings to change: a number sets one, null unsets it (back to the broker's), absent keeps it. */
export type TopicConfigPatch = { [K in keyof TopicConfig]?: number | null };

/**
 * Changes a topic's settings (Kafka's IncrementalAlterConfigs: SET and DELETE); answers
 * the settings now in effect for the topic itself. The internal offsets topic keeps
 * the broker's: its records are the groups' to delete.
 */
export async function setTopicConfig(ctx: CoreContext, topic: string, patch: TopicConfigPatch): Promise<TopicConfig> {
  const state = ctx.catalog.topic(topic);
  if (isInternalTopic(topic))
    throw new StreamNestError("INVALID_REQUEST", `${OFFSETS_TOPIC} keeps every group's committed offsets until the group deletes them; it takes no retention`);
  const next: TopicConfig = { ...(state.meta.config ?? {}) };
  for (const key of ["retentionMs", "retentionBytes"] as const) {
    const value = patch[key];
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  const config = checkTopicConfig(next);
  await ctx.proposer.propose({ type: "set-topic-config", topic, topicId: state.meta.id, config });
  return { ...(ctx.metadata.topic(topic)?.config ?? {}) };
}

/** The largest retention accepted: what a 64-bit float holds exactly (Kafka's longs are larger, nobody needs them). */
const MAX_SETTING = Number.MAX_SAFE_INTEGER;

function checkTopicConfig(config: TopicConfig): TopicConfig {
  const out: TopicConfig = {};
  for (const key of ["retentionMs", "retentionBytes"] as const) {
    const value = config[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_SETTING)
      throw new StreamNestError("INVALID_REQUEST", `${key === "retentionMs" ? "retention_ms" : "retention_bytes"} must be an integer ≥ 0, got ${String(value)}`);
    out[key] = value;
  }
  return out;
}

/** The retention that applies to a topic: its own settings over the broker's. */
export function effectiveRetention(ctx: CoreContext, meta: TopicMetadata): { retentionMs?: number; retentionBytes?: number } {
  const retentionMs = meta.config?.retentionMs ?? ctx.config.log.retentionMs;
  const retentionBytes = meta.config?.retentionBytes ?? ctx.config.log.retentionBytes;
  return { ...(retentionMs !== undefined ? { retentionMs } : {}), ...(retentionBytes !== undefined ? { retentionBytes } : {}) };
}

/**
 * The brokers a new topic's replicas may go to: every known one but those the metadata
 * quorum fenced (down past its session timeout), as the quorum leader places them
 * (metadata-quorum.ts). Were all fenced, this broker's own view is stale: all count.
 */
function liveBrokers(ctx: CoreContext): BrokerRef[] {
  const fenced = new Set(ctx.metadata.current.brokers.filter((b) => b.fenced === true).map((b) => b.id));
  const known = ctx.directory.brokers();
  const live = known.filter((b) => !fenced.has(b.id));
  return live.length > 0 ? live : known;
}

/** A client's create: the internal topic is the group coordinators' to create. */
export function createTopic(
  ctx: CoreContext,
  topic: string,
  partitions: number,
  replication: TopicReplication = {},
): Promise<"created" | "exists"> {
  // The group coordinators create it on first use, with the partition count every
  // broker derives a group's coordinator from; a client's count would break that.
  // Rejected, not thrown: callers that chain .catch() on the promise see it too.
  if (isInternalTopic(topic))
    return Promise.reject(new StreamNestError("INVALID_REQUEST", `${OFFSETS_TOPIC} is internal: the brokers create it when a consumer group first needs it`));
  return addTopic(ctx, topic, partitions, replication);
}

/** Removes the topic, its schemas and every local partition's data. */
export async function deleteTopic(ctx: CoreContext, topic: string): Promise<void> {
  ctx.catalog.topic(topic);
  if (isInternalTopic(topic))
    throw new StreamNestError("INVALID_REQUEST", `${OFFSETS_TOPIC} holds every group's committed offsets and cannot be deleted`);
  await ctx.proposer.propose({ type: "delete-topic", topic });
  await ctx.logs.settleDeletions();
}

export function describeTopic(ctx: CoreContext, topic: string): TopicDescription {
  const state = ctx.catalog.topic(topic);
  const self = ctx.directory.self.id;
  const replicated = replicationView(state.meta);
  return {
    topic: state.meta.name,
    createdAt: state.meta.createdAt,
    schemaVersion: state.meta.schemas.at(-1)?.version ?? null,
    ...replicated,
    config: { ...(state.meta.config ?? {}) },
    partitions: state.partitions.map((ps) => {
      const { leader, replicas, leaderEpoch } = ps.assignment;
      const base: PartitionDescription = { partition: ps.partition, leader, replicas: [...replicas], leaderEpoch, broker: ctx.brokerRef(leader).address };
      if (replicated.replicationFactor !== undefined) {
        base.isr = [...isrOf(ps.assignment)];
        const open = leader === self ? ctx.logs.get(ps) : undefined;
        if (open) base.highWatermark = open.highWatermark;
      }
      if (leader !== self) return base;
      // A partition never written has no folder yet; reading it must not create one.
      const stats = ctx.logs.stats(ps);
      if (!stats) return { ...base, startOffset: 0, endOffset: 0, sizeBytes: 0 };
      return { ...base, startOffset: stats.startOffset, endOffset: stats.endOffset, sizeBytes: stats.sizeBytes };
    }),
  };
}

/** The ranges of the partitions of `topic` this broker leads (what a peer asks of it). */
export function localPartitionRanges(ctx: CoreContext, topic: string): PartitionRange[] {
  const out: PartitionRange[] = [];
  for (const p of describeTopic(ctx, topic).partitions)
    if (p.leader === ctx.directory.self.id && p.startOffset !== undefined && p.endOffset !== undefined)
      out.push({
        partition: p.partition,
        startOffset: p.startOffset,
        endOffset: p.endOffset,
        sizeBytes: p.sizeBytes ?? 0,
        ...(p.highWatermark !== undefined ? { highWatermark: p.highWatermark } : {}),
      });
  return out;
}

/**
 * The ranges of `topic`'s partitions, asking each leader for its own; the ranges of a
 * leader that cannot be reached are missing.
 */
export async function partitionRanges(ctx: CoreContext, topic: string): Promise<Map<number, PartitionRange>> {
  const out = new Map<number, PartitionRange>();
  const meta = ctx.metadata.topic(topic);
  if (!meta) return out;
  const self = ctx.directory.self.id;
  const leaders = [...new Set(meta.partitions.map((p) => p.leader))];
  const answers = await Promise.all(
    leaders.map(async (id) => {
      if (id === self) return safeLocalRanges(ctx, topic);
      try {
        const ranges = await ctx.peers.partitionRanges(ctx.brokerRef(id), topic);
        // Only what it leads by this broker's metadata: brokers may disagree for a moment.
        return ranges.filter((r) => meta.partitions[r.partition]?.leader === id);
      } catch (error) {
        ctx.warn(`offsets of ${topic} from broker ${id}: ${error instanceof Error ? error.message : String(error)}`);
        return [];
      }
    }),
  );
  for (const list of answers) for (const r of list) out.set(r.partition, r);
  return out;
}

function safeLocalRanges(ctx: CoreContext, topic: string): PartitionRange[] {
  try {
    return localPartitionRanges(ctx, topic);
  } catch {
    return [];
  }
}

/** The description with the offsets and sizes of every partition, from each leader. */
export async function describeTopicAcrossCluster(ctx: CoreContext, topic: string): Promise<TopicDescription> {
  const local = describeTopic(ctx, topic);
  if (local.partitions.every((p) => p.endOffset !== undefined)) return local;
  const remote = new Map<number, PartitionRange>();
  const leaders = new Map<number, BrokerRef>();
  for (const p of local.partitions) if (p.endOffset === undefined) leaders.set(p.leader, { id: p.leader, address: p.broker });
  await Promise.all(
    [...leaders.values()].map(async (leader) => {
      const ranges = await ctx.peers.partitionRanges(leader, local.topic).catch(() => []);
      for (const r of ranges) if (local.partitions[r.partition]?.leader === leader.id) remote.set(r.partition, r);
    }),
  );
  return {
    ...local,
    partitions: local.partitions.map((p) => {
      const r = p.endOffset === undefined ? remote.get(p.partition) : undefined;
      if (!r) return p;
      const described = { ...p, startOffset: r.startOffset, endOffset: r.endOffset, sizeBytes: r.sizeBytes };
      return r.highWatermark !== undefined && p.isr !== undefined ? { ...described, highWatermark: r.highWatermark } : described;
    }),
  };
}

export function clusterMetadata(ctx: CoreContext): ClusterMetadataView {
  const doc = ctx.metadata.current;
  return {
    version: doc.version,
    brokers: brokerList(ctx, doc),
    topics: ctx.catalog.names().map((name) => {
      const state = ctx.catalog.topic(name);
      const replicated = replicationView(state.meta);
      const extra = replicated.replicationFactor !== undefined;
      return {
        topic: name,
        ...replicated,
        partitions: state.partitions.map((ps) => ({
          partition: ps.partition,
          leader: ps.assignment.leader,
          broker: ctx.brokerRef(ps.assignment.leader).address,
          ...(extra ? { replicas: [...ps.assignment.replicas], isr: [...isrOf(ps.assignment)], leaderEpoch: ps.assignment.leaderEpoch } : {}),
        })),
      };
    }),
  };
}

/** A replicated topic's factor and min ISR; nothing for a single-replica topic, whose shapes stay as they were. */
function replicationView(meta: TopicMetadata): TopicReplicationView {
  const factor = meta.replicationFactor ?? 1;
  if (factor <= 1) return {};
  return { replicationFactor: factor, minInsyncReplicas: meta.minInsyncReplicas ?? 1 };
}

function brokerList(ctx: CoreContext, doc: MetadataDocument): BrokerRef[] {
  const byId = new Map<number, BrokerRef>();
  for (const b of doc.brokers) byId.set(b.id, b);
  for (const b of ctx.directory.brokers()) byId.set(b.id, b);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Adds a schema version (the new newest); returns its version number. */
export async function registerSchema(ctx: CoreContext, topic: string, schema: unknown): Promise<number> {
  ctx.catalog.topic(topic);
  if (isInternalTopic(topic))
    throw new StreamNestError("INVALID_REQUEST", `${OFFSETS_TOPIC} is written by the group coordinators only and takes no schema`);
  // Checked before proposing: a schema that is too costly or does not compile never reaches metadata.
  checkNewSchema(schema);
  await ctx.proposer.propose({ type: "register-schema", topic, schema: schema as Record<string, unknown>, registeredAt: Date.now() });
  const versions = ctx.metadata.topic(topic)?.schemas;
  if (!versions || versions.length === 0) throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${topic}" was deleted meanwhile`);
  return versions[versions.length - 1].version;
}

/** Every schema version of the topic, oldest first. */
export function schemaVersions(ctx: CoreContext, topic: string): SchemaVersion[] {
  return [...ctx.catalog.topic(topic).meta.schemas];
}
