import { StreamNestError } from "../lib/errors.ts";
import type { CoreContext } from "./core-context.ts";
import { placePartitions } from "./metadata-placement.ts";
import { isInternalTopic, OFFSETS_TOPIC } from "./topic-catalog.ts";

/** Longest file name most file systems allow; each partition is a folder "<topic>-<p>". */
const MAX_FOLDER_NAME = 255;

/**
 * Grows a topic to `count` partitions (Kafka's CreatePartitions, KIP-195): `count` is the
 * new total and must exceed the current one (a topic never shrinks). New partitions are
 * placed as a topic of `count` partitions would be, so partition p's preferred leader is
 * still the broker at p mod N, with the topic's replication factor. Existing partitions
 * and their records stay as they are; a key may map to another partition from now on,
 * as in Kafka. `validateOnly`: every check, no change.
 */
export async function createPartitions(
  ctx: CoreContext,
  topic: string,
  count: number,
  options: { validateOnly?: boolean } = {},
): Promise<{ before: number; partitions: number }> {
  const meta = ctx.catalog.topic(topic).meta;
  if (isInternalTopic(topic))
    throw new StreamNestError("INVALID_REQUEST", `${OFFSETS_TOPIC}'s partition count decides every group's coordinator and cannot change`);
  const before = meta.partitions.length;
  const max = ctx.config.maxPartitions;
  if (!Number.isInteger(count) || count < 1 || count > max)
    throw new StreamNestError("INVALID_PARTITIONS", `partitions must be an integer from 1 to ${max}, got ${String(count)}`);
  // Kafka's messages for the same two cases (AdminZkClient / ReplicationControlManager).
  if (count === before) throw new StreamNestError("INVALID_PARTITIONS", `topic "${topic}" already has ${before} partitions`);
  if (count < before)
    throw new StreamNestError(
      "INVALID_PARTITIONS",
      `topic "${topic}" has ${before} partitions, more than the ${count} asked; partitions can be added, never removed`,
    );
  if (`${topic}-${count - 1}`.length > MAX_FOLDER_NAME)
    throw new StreamNestError("INVALID_PARTITIONS", `partition folder "${topic}-${count - 1}" would be longer than ${MAX_FOLDER_NAME} characters`);
  const added = placePartitions(ctx.directory.brokers(), count, meta.replicationFactor ?? 1).slice(before);
  if (options.validateOnly) return { before, partitions: count };
  await ctx.proposer.propose({ type: "create-partitions", topic, topicId: meta.id, partitions: added });
  return { before, partitions: ctx.metadata.topic(topic)?.partitions.length ?? count };
}
