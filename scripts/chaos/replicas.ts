import { partitionKey, type ReplicaLog } from "./history.ts";
import type { Violation } from "./violations.ts";

/** A partition's final log as the checker judges it: one replica's, cut at its high watermark. */
export interface PartitionLog {
  topic: string;
  partition: number;
  /** The replica taken as the partition's log: the highest high watermark (the leader's, after a heal). */
  reference: string;
  highWatermark: number;
  /** Offset -> value below the high watermark: what consumers may see and must keep seeing. */
  committed: Map<number, string>;
  /** Offset -> value at or above it (not yet committed when read; not judged as data). */
  uncommitted: Map<number, string>;
}

/**
 * Groups the replicas' final reads by partition, picks each partition's reference log,
 * and checks that offsets are dense and that every replica is identical to the
 * reference below the high watermark (Kafka's guarantee: the high watermark is the
 * smallest log end offset of the ISR, and a follower's copy below it is the leader's).
 */
export function checkReplicas(replicas: ReplicaLog[]): { logs: Map<string, PartitionLog>; violations: Violation[] } {
  const violations: Violation[] = [];
  const byPartition = new Map<string, ReplicaLog[]>();
  for (const replica of replicas) {
    const key = partitionKey(replica.topic, replica.partition);
    const group = byPartition.get(key) ?? [];
    if (group.some((other) => other.broker === replica.broker)) {
      violations.push({ kind: "invalid-history", message: `${key} was read twice from broker ${replica.broker}`, attempts: [] });
      continue;
    }
    group.push(replica);
    byPartition.set(key, group);
  }

  const logs = new Map<string, PartitionLog>();
  for (const [key, group] of byPartition) {
    for (const replica of group) violations.push(...gaps(replica));
    const reference = [...group].sort(
      (a, b) => b.highWatermark - a.highWatermark || b.records.length - a.records.length || a.broker.localeCompare(b.broker),
    )[0];
    const referenceValues = valuesByOffset(reference);
    const log: PartitionLog = {
      topic: reference.topic,
      partition: reference.partition,
      reference: reference.broker,
      highWatermark: reference.highWatermark,
      committed: new Map(),
      uncommitted: new Map(),
    };
    for (const [offset, value] of referenceValues) (offset < log.highWatermark ? log.committed : log.uncommitted).set(offset, value);
    logs.set(key, log);
    for (const replica of group) if (replica !== reference) violations.push(...divergence(log, replica));
  }
  return { logs, violations };
}

function valuesByOffset(replica: ReplicaLog): Map<number, string> {
  const values = new Map<number, string>();
  for (const { offset, value } of replica.records) if (!values.has(offset)) values.set(offset, value);
  return values;
}

/** The first place where a replica's offsets stop being 0, 1, 2, … up to its high watermark. */
function gaps(replica: ReplicaLog): Violation[] {
  const where = `${replica.topic}/${replica.partition} on broker ${replica.broker}`;
  let expected = 0;
  for (const record of replica.records) {
    if (record.offset !== expected) {
      return [gap(replica, expected, record.offset, `${where}: offset ${record.offset} follows ${expected - 1} (expected ${expected})`)];
    }
    expected++;
  }
  if (expected < replica.highWatermark) {
    return [gap(replica, expected, null, `${where}: log ends at ${expected} below its high watermark ${replica.highWatermark}`)];
  }
  return [];
}

function gap(replica: ReplicaLog, expectedOffset: number, foundOffset: number | null, message: string): Violation {
  return { kind: "gap", message, topic: replica.topic, partition: replica.partition, broker: replica.broker, expectedOffset, foundOffset };
}

function divergence(log: PartitionLog, replica: ReplicaLog): Violation[] {
  const values = valuesByOffset(replica);
  let differing = 0;
  let first: { offset: number; expected: string | null; found: string | null } | undefined;
  for (let offset = 0; offset < log.highWatermark; offset++) {
    const expected = log.committed.get(offset) ?? null;
    const found = values.get(offset) ?? null;
    if (expected === found) continue;
    differing++;
    first ??= { offset, expected, found };
  }
  if (first === undefined) return [];
  const show = (value: string | null): string => (value === null ? "nothing" : JSON.stringify(value));
  return [
    {
      kind: "divergent",
      message:
        `${log.topic}/${log.partition}: broker ${replica.broker} differs from broker ${log.reference} at ${differing} offset(s) ` +
        `below the high watermark ${log.highWatermark}; first at ${first.offset}: ${show(first.found)} instead of ${show(first.expected)}`,
      topic: log.topic,
      partition: log.partition,
      broker: replica.broker,
      reference: log.reference,
      firstOffset: first.offset,
      expected: first.expected,
      found: first.found,
      differingOffsets: differing,
    },
  ];
}
