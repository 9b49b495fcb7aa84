import { Counter, Gauge, type Registry } from "prom-client";
import { METRIC } from "./metric-names.ts";

/** A snapshot of this broker's replicated partitions, taken when /metrics is scraped. */
export interface ReplicationSnapshot {
  /** Partitions led here whose ISR is smaller than their replica set. */
  underReplicated: number;
  /** Partitions of the cluster (by this broker's metadata) whose leader is down, and those whose data was lost here. */
  offline: number;
  /** Per follower of a partition led here: records behind and seconds since last caught up. */
  followers: Array<{ topic: string; partition: number; replica: number; lagRecords: number; lagSeconds: number }>;
}

/**
 * The replication metrics (Kafka's UnderReplicatedPartitions, OfflinePartitionsCount,
 * IsrShrinksPerSec, IsrExpandsPerSec, LeaderElectionRate and the follower lag), on the
 * broker's registry. Gauges are read from the driver's snapshot at scrape time.
 */
export class ReplicationMetrics {
  readonly isrShrinks: Counter;
  readonly isrExpands: Counter;
  readonly leaderElections: Counter;
  private source: () => ReplicationSnapshot = () => ({ underReplicated: 0, offline: 0, followers: [] });

  constructor(registry: Registry) {
    const registers = [registry];
    const read = (): ReplicationSnapshot => this.source();
    new Gauge({
      name: METRIC.underReplicatedPartitions,
      help: "Partitions led by this broker whose in-sync replicas are fewer than their replicas.",
      registers,
      collect() {
        this.set(read().underReplicated);
      },
    });
    new Gauge({
      name: METRIC.offlinePartitions,
      help: "Partitions of the cluster whose leader is down, as this broker's metadata says (the same on every broker: alert on max, not sum), and those whose data this broker lost.",
      registers,
      collect() {
        this.set(read().offline);
      },
    });
    new Gauge({
      name: METRIC.followerLagRecords,
      help: "Records a follower is behind the leader's log end, per partition led here and follower.",
      labelNames: ["topic", "partition", "replica"],
      registers,
      collect() {
        this.reset();
        for (const f of read().followers) this.set({ topic: f.topic, partition: String(f.partition), replica: String(f.replica) }, f.lagRecords);
      },
    });
    new Gauge({
      name: METRIC.followerLagSeconds,
      help: "Seconds since a follower was last caught up with the leader, per partition led here and follower.",
      labelNames: ["topic", "partition", "replica"],
      registers,
      collect() {
        this.reset();
        for (const f of read().followers) this.set({ topic: f.topic, partition: String(f.partition), replica: String(f.replica) }, f.lagSeconds);
      },
    });
    this.isrShrinks = new Counter({ name: METRIC.isrShrinks, help: "ISR shrinks committed for partitions led by this broker.", registers });
    this.isrExpands = new Counter({ name: METRIC.isrExpands, help: "ISR expansions committed for partitions led by this broker.", registers });
    this.leaderElections = new Counter({ name: METRIC.leaderElections, help: "Leader elections this broker proposed and saw committed.", registers });
  }

  setSource(source: () => ReplicationSnapshot): void {
    this.source = source;
  }
}
