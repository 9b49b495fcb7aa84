import type { History, ProduceAttempt, ReplicaLog, RunRead } from "../../../scripts/chaos/history.ts";

/** Small hand-made histories for the checker's tests. */

export const TOPIC = "t";

export function ok(id: string, value: string, partition: number, offset: number, extra: Partial<ProduceAttempt> = {}): ProduceAttempt {
  return { id, value, topic: TOPIC, startedAt: 0, endedAt: 1, outcome: { type: "ok", partition, offset }, ...extra };
}

export function failed(id: string, value: string, extra: Partial<ProduceAttempt> = {}): ProduceAttempt {
  return { id, value, topic: TOPIC, startedAt: 0, endedAt: 1, outcome: { type: "failed", error: "NOT_ENOUGH_REPLICAS" }, ...extra };
}

export function unknown(id: string, value: string, extra: Partial<ProduceAttempt> = {}): ProduceAttempt {
  return { id, value, topic: TOPIC, startedAt: 0, endedAt: 1, outcome: { type: "unknown", error: "timeout" }, ...extra };
}

export function read(partition: number, offset: number, value: string, at = 5): RunRead {
  return { topic: TOPIC, partition, offset, value, at };
}

/** A replica whose records are `values` at offsets 0, 1, 2, … */
export function replica(broker: string, partition: number, highWatermark: number, values: string[]): ReplicaLog {
  return { topic: TOPIC, partition, broker, highWatermark, records: values.map((value, offset) => ({ offset, value })) };
}

/** The same log on brokers b1, b2 and b3. */
export function everyReplica(partition: number, highWatermark: number, values: string[]): ReplicaLog[] {
  return ["b1", "b2", "b3"].map((broker) => replica(broker, partition, highWatermark, values));
}

/**
 * A history with nothing wrong, though it holds everything allowed: an unknown outcome
 * retried into a duplicate, an unknown outcome that was written, one that was not, a
 * clean failure, and an uncommitted record above partition 1's high watermark.
 */
export function cleanHistory(): History {
  return {
    attempts: [
      ok("a1", "v1", 0, 0, { partition: 0 }),
      ok("a2", "v2", 0, 1),
      unknown("a3", "v3"),
      ok("a4", "v3", 1, 1, { retryOf: "a3" }),
      failed("a5", "v5"),
      unknown("a6", "v6"),
      unknown("a8", "v8"),
      unknown("a9", "v9"),
    ],
    reads: [read(0, 0, "v1"), read(1, 0, "v3"), read(0, 1, "v2", 7)],
    replicas: [
      ...everyReplica(0, 3, ["v1", "v2", "v9"]),
      replica("b1", 1, 2, ["v3", "v3", "v8"]),
      replica("b2", 1, 2, ["v3", "v3"]),
      replica("b3", 1, 2, ["v3", "v3"]),
    ],
  };
}

/** The clean history with partition `partition`'s replicas replaced. */
export function withReplicas(history: History, partition: number, replicas: ReplicaLog[]): History {
  return { ...history, replicas: [...history.replicas.filter((r) => r.partition !== partition), ...replicas] };
}
