import { StreamNestError } from "../lib/errors.ts";
import type { CoreContext } from "./core-context.ts";
import { assertOffset, outOfRange } from "./fetch.ts";
import { isrOf } from "./metadata.ts";
import { partitionName } from "./partition-router.ts";
import type { StoredRecord } from "./types.ts";

/**
 * This broker's own copy of a partition, whoever leads it: records up to the copy's log
 * end (above the high watermark too), with the copy's high watermark and the placement
 * this broker knows. Consumers never read this way (they stop at the leader's high
 * watermark); it is for checking replicas against each other after faults (the chaos
 * harness, issue 12: "replicas identical below the high watermark"), as Kafka's
 * DumpLogSegments reads one broker's files. Nothing is counted as consumed.
 */
export interface ReplicaCopy {
  records: StoredRecord[];
  startOffset: number;
  logEndOffset: number;
  highWatermark: number;
  /** As this broker's metadata has it. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export async function readReplica(ctx: CoreContext, topic: string, partition: number, offset: number, maxRecords: number, maxBytes: number): Promise<ReplicaCopy> {
  const state = ctx.catalog.topic(topic);
  const ps = ctx.catalog.partition(state, partition);
  assertOffset(offset);
  const self = ctx.directory.self.id;
  const { assignment } = ps;
  if (!assignment.replicas.includes(self))
    throw new StreamNestError("NOT_FOUND", `broker ${self} holds no replica of ${partitionName(topic, partition)} (replicas: ${assignment.replicas.join(", ")})`);
  const placement = { leader: assignment.leader, leaderEpoch: assignment.leaderEpoch, replicas: [...assignment.replicas], isr: [...isrOf(assignment)] };
  const lease = await ctx.logs.leaseWritten(ps);
  if (!lease) {
    if (offset > 0) throw outOfRange(offset, 0, 0);
    return { records: [], startOffset: 0, logEndOffset: 0, highWatermark: 0, ...placement };
  }
  try {
    const log = lease.log;
    const records = log.read(offset, maxRecords, maxBytes, { upTo: "log-end" });
    return { records, startOffset: log.startOffset, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark, ...placement };
  } finally {
    lease.release();
  }
}
