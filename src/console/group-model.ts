import type { GroupAnswer, GroupPartition, TopicAnswer } from "./types.ts";

/** Consumer-group facts the console shows: lag totals and the offsets a reset commits. */

export type ResetMode = "earliest" | "latest" | "offset" | "time";

export interface PartitionBounds {
  start: number;
  end: number;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function totalLag(partitions: readonly GroupPartition[]): number | null {
  let total = 0;
  let known = false;
  for (const p of partitions) {
    if (p.lag === null) continue;
    known = true;
    total += p.lag;
  }
  return known ? total : null;
}

/** For each topic, the groups with committed offsets on it and their lag summed over its partitions. */
export function lagByTopic(groups: readonly GroupAnswer[]): Map<string, Array<{ group: string; lag: number | null }>> {
  const out = new Map<string, Array<{ group: string; lag: number | null }>>();
  for (const g of groups) {
    const topics = new Map<string, GroupPartition[]>();
    for (const p of g.partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p]);
    for (const [topic, parts] of topics) out.set(topic, [...(out.get(topic) ?? []), { group: g.group, lag: totalLag(parts) }]);
  }
  for (const list of out.values()) list.sort((a, b) => a.group.localeCompare(b.group));
  return out;
}

/** Start and end offsets of each partition of the described topics. */
export function boundsOf(topics: readonly TopicAnswer[]): Map<string, PartitionBounds> {
  const out = new Map<string, PartitionBounds>();
  for (const t of topics)
    for (const p of t.partitions)
      if (p.start_offset !== undefined && p.end_offset !== undefined)
        out.set(partitionKey(t.topic, p.partition), { start: p.start_offset, end: p.end_offset });
  return out;
}

export interface ResetTarget {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * The offsets a reset commits (earliest, latest, or an offset clamped into each
 * partition's range); an error when a partition's range is unknown (its leader is down).
 * Time resets find their offsets with time-seek first and come here as `offset` per partition.
 */
export function resetTargets(
  partitions: ReadonlyArray<{ topic: string; partition: number }>,
  mode: Exclude<ResetMode, "time">,
  bounds: ReadonlyMap<string, PartitionBounds>,
  offset = 0,
): { targets: ResetTarget[] } | { error: string } {
  const targets: ResetTarget[] = [];
  for (const p of partitions) {
    const b = bounds.get(partitionKey(p.topic, p.partition));
    if (b === undefined) return { error: `the offsets of ${p.topic} partition ${p.partition} are unknown (is its leader down?)` };
    const value = mode === "earliest" ? b.start : mode === "latest" ? b.end : Math.min(Math.max(offset, b.start), b.end);
    targets.push({ topic: p.topic, partition: p.partition, offset: value });
  }
  return { targets };
}

export function canReset(group: GroupAnswer): boolean {
  return group.members.length === 0;
}
