import { StreamNestError } from "../../lib/errors.ts";
import type { KafkaContext } from "../context.ts";
import { protocolError } from "../protocol/error-codes.ts";

/**
 * KIP-320: Fetch (v9+) and ListOffsets (v4+) carry the leader epoch the client learned
 * from Metadata (-1: none). A client behind the partition's epoch is FENCED_LEADER_EPOCH,
 * so it refreshes its metadata rather than read from, or be told offsets by, what it
 * takes for a leader that was replaced; a client ahead of it is UNKNOWN_LEADER_EPOCH:
 * this broker has not learned the new epoch yet, and the client retries. As Kafka's
 * Partition.checkCurrentLeaderEpoch. A topic or partition that does not exist is left to
 * the read, which answers it as before.
 */
export function checkCurrentLeaderEpoch(ctx: KafkaContext, topic: string, partition: number, current: number): void {
  if (current < 0) return;
  let epoch: number | undefined;
  try {
    epoch = ctx.broker.describeTopic(topic).partitions[partition]?.leaderEpoch;
  } catch (error) {
    if (error instanceof StreamNestError) return;
    throw error;
  }
  if (epoch === undefined || current === epoch) return;
  if (current < epoch)
    throw new StreamNestError("FENCED_LEADER_EPOCH", `leader epoch ${current} of partition ${partition} of topic "${topic}" is stale; the partition is at epoch ${epoch}`);
  throw protocolError(
    "LEADER_UNAVAILABLE",
    "UNKNOWN_LEADER_EPOCH",
    `leader epoch ${current} of partition ${partition} of topic "${topic}" is newer than this broker knows (${epoch}); retry`,
  );
}
