/**
 * What a chaos run records, as the checker reads it: every produce attempt with its
 * outcome, every read made while faults were injected, and the final read of every
 * partition from offset 0 on every replica once the cluster healed. Times are
 * milliseconds on one clock (the harness's).
 */

/**
 * `ok`: acknowledged at (partition, offset). `failed`: the broker said it was not
 * written (a clean refusal such as NOT_ENOUGH_REPLICAS before the append). `unknown`:
 * no answer that settles it (timeout, connection lost mid-request, an answer saying the
 * outcome is unknown); the value may or may not be in the log.
 */
export type ProduceOutcome =
  | { type: "ok"; partition: number; offset: number }
  | { type: "failed"; error: string }
  | { type: "unknown"; error: string };

export interface ProduceAttempt {
  /** Unique per attempt. */
  id: string;
  /** Unique per logical write; a retry carries the value of the attempt it retries. */
  value: string;
  topic: string;
  /** The partition asked for, when the producer chose it (absent: key or round-robin). */
  partition?: number;
  /** The attempt this one retries (the previous attempt of the same write). */
  retryOf?: string;
  /** The broker the attempt was sent to, for the report. */
  broker?: string;
  startedAt: number;
  endedAt: number;
  outcome: ProduceOutcome;
}

/** A record read while the run went on (consumers see only what is below the high watermark). */
export interface RunRead {
  topic: string;
  partition: number;
  offset: number;
  value: string;
  at: number;
  broker?: string;
}

export interface LogRecord {
  offset: number;
  value: string;
}

/** One replica's whole log, read from offset 0 to its end after the cluster healed. */
export interface ReplicaLog {
  topic: string;
  partition: number;
  broker: string;
  highWatermark: number;
  records: LogRecord[];
}

export interface History {
  attempts: ProduceAttempt[];
  reads: RunRead[];
  replicas: ReplicaLog[];
}

export interface PartitionId {
  topic: string;
  partition: number;
}

/** A record's place: topic, partition and offset. */
export interface Place extends PartitionId {
  offset: number;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}
