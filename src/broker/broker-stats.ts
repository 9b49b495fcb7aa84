import type { CoreContext } from "./core-context.ts";

/**
 * This broker's own counters and disk use, as numbers another broker can add up: the
 * cluster-wide rates and per-broker disk a console shows come from every broker's
 * answer, since a browser cannot read other brokers' /metrics (another origin).
 */

export interface BrokerStats {
  /** Messages appended to partitions led here, since this broker started (all topics). */
  produced: number;
  /** Messages handed to consumers from partitions led here, since this broker started. */
  consumed: number;
  bytesIn: number;
  bytesOut: number;
  producedByTopic: Record<string, number>;
  consumedByTopic: Record<string, number>;
  /** Bytes of the partition logs this broker holds on disk. */
  diskBytes: number;
  /** Partition logs this broker holds on disk. */
  partitionLogs: number;
}

export function brokerStats(ctx: CoreContext): BrokerStats {
  const stats: BrokerStats = {
    produced: 0,
    consumed: 0,
    bytesIn: 0,
    bytesOut: 0,
    producedByTopic: {},
    consumedByTopic: {},
    diskBytes: 0,
    partitionLogs: 0,
  };
  for (const state of ctx.catalog.states()) {
    const c = state.counters;
    const name = state.meta.name;
    stats.produced += c.produced;
    stats.consumed += c.consumed;
    stats.bytesIn += c.bytesIn;
    stats.bytesOut += c.bytesOut;
    if (c.produced > 0) stats.producedByTopic[name] = c.produced;
    if (c.consumed > 0) stats.consumedByTopic[name] = c.consumed;
    for (const ps of state.partitions) {
      // Open or seen when closed costs nothing; a folder from before this start is opened
      // for one look (then remembered), and a partition never written has no folder.
      const log = ctx.logs.knownStats(ps) ?? (ctx.logs.isWritten(ps) ? ctx.logs.stats(ps) : undefined);
      if (log === undefined) continue;
      stats.diskBytes += log.sizeBytes;
      stats.partitionLogs++;
    }
  }
  return stats;
}
