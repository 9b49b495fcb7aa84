import type { CoreContext } from "./core-context.ts";
import { localPartitionRanges } from "./topic-admin.ts";
import type { PartitionRange } from "./types.ts";

/**
 * Every topic at once, in totals: what a topic list shows (partitions, replication
 * factor, messages, bytes). Describing 1,000 topics one by one costs 1,000 calls, each
 * asking every leader; this asks each other broker once for the ranges of everything it
 * leads (as Kafka's ListOffsets groups its requests per leader) and adds them up.
 */

export interface TopicSummary {
  topic: string;
  createdAt: number;
  schemaVersion: number | null;
  partitions: number;
  /** The largest replica set of its partitions. */
  replicationFactor: number;
  /** Records kept (end offset minus start offset), over the partitions whose leader answered. */
  messages: number;
  sizeBytes: number;
  /** Partitions whose leader could not be asked: `messages` and `sizeBytes` leave them out. */
  unreportedPartitions: number;
}

/** The ranges of every partition this broker leads (of the topics named), by topic (what a peer asks of it). */
export function localRangesOfAllTopics(ctx: CoreContext, only?: readonly string[]): Map<string, PartitionRange[]> {
  const out = new Map<string, PartitionRange[]>();
  for (const topic of only ?? ctx.catalog.names()) {
    try {
      const ranges = localPartitionRanges(ctx, topic);
      if (ranges.length > 0) out.set(topic, ranges);
    } catch {
      // Deleted while being listed: it has no ranges to report.
    }
  }
  return out;
}

/** The ranges `leader` reports for the partitions it leads, by topic; empty when it cannot be reached. */
async function rangesOf(ctx: CoreContext, leaderId: number, topics: string[]): Promise<Map<string, PartitionRange[]>> {
  const leader = ctx.brokerRef(leaderId);
  try {
    if (ctx.peers.allPartitionRanges) return await ctx.peers.allPartitionRanges(leader);
    const out = new Map<string, PartitionRange[]>();
    for (const topic of topics) out.set(topic, await ctx.peers.partitionRanges(leader, topic));
    return out;
  } catch (error) {
    ctx.warn(`partition ranges from broker ${leaderId}: ${error instanceof Error ? error.message : String(error)}`);
    return new Map();
  }
}

function byPartition(ranges: Map<string, PartitionRange[]>): Map<string, Map<number, PartitionRange>> {
  const out = new Map<string, Map<number, PartitionRange>>();
  for (const [topic, list] of ranges) out.set(topic, new Map(list.map((r) => [r.partition, r])));
  return out;
}

/**
 * Totals of the topics named (default every topic, internal ones left out as
 * /list-topics does), each partition counted from its leader; unknown names are skipped.
 */
export async function summarizeTopics(ctx: CoreContext, only?: readonly string[]): Promise<TopicSummary[]> {
  const self = ctx.directory.self.id;
  const names = (only ?? ctx.catalog.names()).filter((n) => ctx.catalog.has(n));
  const topicsLedBy = new Map<number, string[]>();
  for (const name of names)
    for (const ps of ctx.catalog.topic(name).partitions) {
      const leader = ps.assignment.leader;
      if (leader === self) continue;
      const list = topicsLedBy.get(leader) ?? [];
      if (list.at(-1) !== name) list.push(name);
      topicsLedBy.set(leader, list);
    }
  const answers = new Map<number, Map<string, Map<number, PartitionRange>>>([[self, byPartition(localRangesOfAllTopics(ctx, names))]]);
  await Promise.all([...topicsLedBy].map(async ([id, topics]) => answers.set(id, byPartition(await rangesOf(ctx, id, topics)))));
  const out: TopicSummary[] = [];
  for (const name of names) {
    const state = ctx.catalog.get(name);
    if (!state) continue;
    let messages = 0;
    let sizeBytes = 0;
    let unreported = 0;
    let replicationFactor = 0;
    for (const ps of state.partitions) {
      const { leader, replicas } = ps.assignment;
      replicationFactor = Math.max(replicationFactor, replicas.length);
      // Only what the leader by this broker's metadata says: brokers may disagree for a moment.
      const range = answers.get(leader)?.get(name)?.get(ps.partition);
      if (range === undefined) {
        unreported++;
        continue;
      }
      messages += range.endOffset - range.startOffset;
      sizeBytes += range.sizeBytes;
    }
    out.push({
      topic: name,
      createdAt: state.meta.createdAt,
      schemaVersion: state.meta.schemas.at(-1)?.version ?? null,
      partitions: state.partitions.length,
      replicationFactor,
      messages,
      sizeBytes,
      unreportedPartitions: unreported,
    });
  }
  return out;
}
