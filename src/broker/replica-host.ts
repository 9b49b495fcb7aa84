import type { BrokerMetrics } from "../metrics/metrics.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import type { ApplyResult, BrokerRef, MetadataChange } from "./metadata.ts";
import type { MetadataStore } from "./metadata-store.ts";
import type { LogLease } from "./open-logs.ts";

/**
 * What the core lends the replication driver (cluster/replication/): the metadata it
 * proposes partition changes through and applies them from, and the logs of the
 * replicated partitions hosted here, kept open while they are replicated. Declared
 * here, implemented by the Broker, so the core never imports the cluster.
 */
export interface ReplicaHost {
  readonly self: number;
  readonly metadata: MetadataStore;
  readonly metrics: BrokerMetrics;
  /** Aborted when the broker closes. */
  readonly lifetime: AbortSignal;
  propose(change: MetadataChange): Promise<ApplyResult>;
  brokerRef(id: number): BrokerRef;
  /**
   * The log of a hosted partition, opened if need be, for use before the caller yields:
   * replica logs count toward --max-open-partitions like any other, so an idle one may
   * be closed to make room (and opened again next time). Undefined if the topic is gone
   * (or another incarnation).
   */
  replicaLog(topic: string, topicId: string, partition: number): PartitionLog | undefined;
  /**
   * A lease on the log (opened if need be, after any close of it still running), held
   * across awaits until released; given at once, not as a promise, when no close of the
   * log is running (a follower takes two per fetch round).
   */
  replicaLease(topic: string, topicId: string, partition: number): LogLease | undefined | Promise<LogLease | undefined>;
  /** The log if it is open now; nothing is opened. */
  replicaLogIfOpen(topic: string, partition: number): PartitionLog | undefined;
  /** Calls `listener` with each log object opened from now on (see LogLeases.onOpen). */
  onReplicaLogOpen(listener: (topic: string, partition: number, log: PartitionLog) => void): () => void;
  warn(message: string): void;
  /** Partitions led here that are offline for lost data (lost-replicas.ts), for the offline count. */
  offlineForLostData(): number;
  /** Whether this broker's copy of the partition was lost with its disk (lost-replicas.ts): it must leave the ISR before copying it again. */
  isLostReplica(topic: string, partition: number): boolean;
  /** The partition's high watermark is not yet known here as its leader (true), or known (false): reads wait meanwhile. */
  highWatermarkPending(topic: string, partition: number, pending: boolean): void;
}
