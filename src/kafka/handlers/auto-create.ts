import { isInternalTopic } from "../../broker/topic-catalog.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { requireCreate } from "../authorization.ts";
import type { ConnectionInfo, KafkaContext } from "../context.ts";

/**
 * Kafka's auto.create.topics.enable: a topic a Kafka client names in Metadata or Produce
 * is created with --default-partitions when it does not exist (HTTP never does this).
 * Throws what describing the topic would when it cannot be created, and
 * TOPIC_AUTHORIZATION_FAILED when the principal may not create it (CREATE on the cluster or topic).
 */
export async function autoCreate(ctx: KafkaContext, conn: ConnectionInfo, topic: string): Promise<void> {
  try {
    ctx.broker.assertTopic(topic);
    return;
  } catch (error) {
    if (!(error instanceof StreamNestError) || error.code !== "TOPIC_NOT_FOUND") throw error;
  }
  // The group coordinators create the offsets topic; a client's Metadata or Produce never does.
  if (isInternalTopic(topic)) throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${topic}" does not exist`);
  requireCreate(ctx, conn, topic);
  await ctx.broker.createTopic(topic, ctx.options.defaultPartitions);
}
