import type { OffsetsLog } from "../groups/offset-store.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import type { RecordInput } from "../storage/types.ts";
import type { CoreContext } from "./core-context.ts";
import { assertEnoughReplicas, awaitReplication, leaderEpochFor } from "./produce-acks.ts";
import type { PartitionState, TopicState } from "./topic-catalog.ts";

/**
 * A `__consumer_offsets` partition as its group coordinator (its leader) sees it. It is
 * replicated like any topic, so a commit is written as an acks=all produce is (Kafka's
 * offsets.commit.required.acks=-1): answered once every in-sync replica holds it, so the
 * broker that takes over the partition when this one dies has every acknowledged commit.
 * Loading reads up to the log end, not the high watermark, as Kafka's coordinator loads
 * a partition it now leads: what this leader holds is what it will commit.
 */
export function coordinatorOffsetsLog(ctx: CoreContext, state: TopicState, ps: PartitionState, log: PartitionLog): OffsetsLog {
  return {
    get startOffset(): number {
      return log.startOffset;
    },
    get endOffset(): number {
      return log.logEndOffset;
    },
    read: (offset, maxRecords, maxBytes) => log.read(offset, maxRecords, maxBytes, { upTo: "log-end" }),
    append: async (records: RecordInput[]) => {
      assertEnoughReplicas(state, ps, "all");
      const epoch = leaderEpochFor(ps, log);
      const written = await log.append(records);
      await awaitReplication(ctx, state, ps, log, written.lastOffset, epoch, "all");
      return written;
    },
  };
}

/**
 * LEADER_UNAVAILABLE while the replication driver has not yet begun this leader's epoch
 * in a replicated log: until then a follower's last fetch may still be appending, and a
 * coordinator that loaded the partition then would miss those commits.
 */
export function assertLeadershipTakenUp(ps: PartitionState, log: PartitionLog): void {
  if (log.highWatermarkMode === "explicit" && log.latestEpoch !== ps.assignment.leaderEpoch)
    throw new StreamNestError(
      "LEADER_UNAVAILABLE",
      `partition ${ps.partition} of the offsets topic: this broker is taking up leadership in epoch ${ps.assignment.leaderEpoch}; retry`,
    );
}
