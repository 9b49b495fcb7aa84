import { StreamNestError } from "../../lib/errors.ts";
import type { KafkaContext } from "../context.ts";

/**
 * Kafka's auto.create.topics.enable: a topic a Kafka client names in Metadata or Produce
 * is created with --default-partitions when it does not exist (HTTP never does this).
 * Throws what describing the topic would when it cannot be created.
 */
export async function autoCreate(ctx: KafkaContext, topic: string): Promise<void> {
  try {
    ctx.broker.assertTopic(topic);
    return;
  } catch (error) {
    if (!(error instanceof StreamNestError) || error.code !== "TOPIC_NOT_FOUND") throw error;
  }
  if (topic.startsWith("__")) throw new StreamNestError("TOPIC_NOT_FOUND", `topic "${topic}" does not exist`);
  await ctx.broker.createTopic(topic, ctx.options.defaultPartitions);
}
