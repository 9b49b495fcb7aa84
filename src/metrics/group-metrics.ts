import { Gauge, type Registry } from "prom-client";
import { METRIC } from "./metric-names.ts";
import { GROUP_LIMITS } from "../config/core.ts";

/**
 * Consumer-group metrics (their names are in METRIC with every other one). Each broker
 * reports the groups it coordinates (as Kafka's coordinator does), so series from
 * different brokers never overlap. They are read from the group service when /metrics
 * is scraped, never kept up to date on the hot path.
 */

export interface GroupPartitionStat {
  topic: string;
  partition: number;
  committedOffset: number | null;
  lag: number | null;
}

export interface GroupStat {
  group: string;
  members: number;
  generation: number;
  partitions: GroupPartitionStat[];
}

/** One scrape asks the source once, however many gauges read it. */
const SNAPSHOT_TTL_MS = GROUP_LIMITS.metricsSnapshotTtlMs.value;

export function registerGroupMetrics(registry: Registry, source: () => Promise<GroupStat[]>): void {
  let cached: { at: number; stats: Promise<GroupStat[]> } | undefined;
  const snapshot = (): Promise<GroupStat[]> => {
    const now = Date.now();
    if (!cached || now - cached.at > SNAPSHOT_TTL_MS) cached = { at: now, stats: source().catch(() => []) };
    return cached.stats;
  };
  const registers = [registry];
  new Gauge({
    name: METRIC.groupMembers,
    help: "Members of each consumer group this broker coordinates.",
    labelNames: ["group"],
    registers,
    async collect() {
      this.reset();
      for (const g of await snapshot()) this.set({ group: g.group }, g.members);
    },
  });
  new Gauge({
    name: METRIC.groupGeneration,
    help: "Current generation of each consumer group this broker coordinates.",
    labelNames: ["group"],
    registers,
    async collect() {
      this.reset();
      for (const g of await snapshot()) this.set({ group: g.group }, g.generation);
    },
  });
  new Gauge({
    name: METRIC.groupCommittedOffset,
    help: "Committed offset of each partition of each consumer group this broker coordinates.",
    labelNames: ["group", "topic", "partition"],
    registers,
    async collect() {
      this.reset();
      for (const g of await snapshot())
        for (const p of g.partitions)
          if (p.committedOffset !== null)
            this.set({ group: g.group, topic: p.topic, partition: String(p.partition) }, p.committedOffset);
    },
  });
  new Gauge({
    name: METRIC.groupLag,
    help: "Messages between a group's committed offset and the partition's end, per partition.",
    labelNames: ["group", "topic", "partition"],
    registers,
    async collect() {
      this.reset();
      for (const g of await snapshot())
        for (const p of g.partitions)
          if (p.lag !== null) this.set({ group: g.group, topic: p.topic, partition: String(p.partition) }, p.lag);
    },
  });
}
