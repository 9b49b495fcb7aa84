import { Elysia, t } from "elysia";
import type { BrokerStats } from "../broker/broker-stats.ts";
import type { RouteContext } from "./context.ts";
import type { BrokerStatsRow, PeerEndpoint } from "./peer-endpoint.ts";
import { json } from "./respond.ts";

/**
 * GET /cluster/metrics: every broker's message counters and disk use in one answer, so
 * that a page served by one broker (the console) can show the whole cluster's rates
 * without reading the other brokers' /metrics, which are another origin. Counters are
 * totals since each broker started; a rate is the difference of two answers.
 */

const Counts = t.Record(t.String(), t.Integer(), { description: "By topic; topics with none are left out" });

const Stats = t.Object({
  produced_total: t.Integer({ description: "Messages appended to partitions the broker leads, since it started" }),
  consumed_total: t.Integer({ description: "Messages handed to consumers from partitions it leads, since it started" }),
  bytes_in_total: t.Integer(),
  bytes_out_total: t.Integer(),
  produced_by_topic: Counts,
  consumed_by_topic: Counts,
  disk_bytes: t.Integer({ description: "Bytes of the partition logs it holds" }),
  partition_logs: t.Integer({ description: "Partition logs it holds on disk" }),
});

const ClusterMetricsAnswer = t.Object({
  broker: t.Integer({ description: "Id of the broker that answered (and asked the others)" }),
  brokers: t.Array(
    t.Object({
      id: t.Union([t.Integer(), t.Null()]),
      address: t.String(),
      self: t.Boolean(),
      alive: t.Boolean(),
      error: t.Union([t.String(), t.Null()], { description: "Why its counters are missing (down, unreachable)" }),
      metrics: t.Union([Stats, t.Null()]),
    }),
  ),
});

function wire(s: BrokerStats) {
  return {
    produced_total: s.produced,
    consumed_total: s.consumed,
    bytes_in_total: s.bytesIn,
    bytes_out_total: s.bytesOut,
    produced_by_topic: s.producedByTopic,
    consumed_by_topic: s.consumedByTopic,
    disk_bytes: s.diskBytes,
    partition_logs: s.partitionLogs,
  };
}

export function clusterMetricsRoutes({ broker, requests }: RouteContext, link: PeerEndpoint | undefined) {
  return new Elysia().get(
    "/cluster/metrics",
    async () => {
      const self = broker.self;
      const rows: BrokerStatsRow[] = link
        ? await link.clusterStats()
        : [{ id: self.id, address: self.address, self: true, alive: true, error: null, stats: broker.stats() }];
      requests.count("GET", "/cluster/metrics", 200);
      return json({
        broker: self.id,
        brokers: rows.map(({ stats, ...row }) => ({ ...row, metrics: stats === null ? null : wire(stats) })),
      });
    },
    {
      response: { 200: ClusterMetricsAnswer },
      detail: {
        tags: ["cluster"],
        summary: "Every broker's message counters and disk use, gathered by the broker asked",
        description:
          "Read-only. Live peers are asked over the cluster's internal route, each within the peer timeout; a broker known to be down is not asked and has `metrics: null` with the reason in `error`.",
      },
    },
  );
}
