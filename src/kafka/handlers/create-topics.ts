import { StreamNestError } from "../../lib/errors.ts";
import { requireCreate } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { topicIdOf } from "../topic-ids.ts";

/**
 * CreateTopics: through the core, so a topic created over Kafka gets the same placement
 * as one created over HTTP. -1 partitions means --default-partitions; manual replica
 * assignments and per-topic configs are refused (StreamNest's topics have none).
 */
export async function handleCreateTopics(ctx: KafkaContext, { body, conn }: Call<"CreateTopics">) {
  const brokers = ctx.broker.clusterMetadata().brokers.length;
  const topics = [];
  for (const t of body.topics) {
    const partitions = t.numPartitions === -1 ? ctx.options.defaultPartitions : t.numPartitions;
    try {
      requireCreate(ctx, conn, t.name);
      if (t.assignments.length > 0) throw refusal("INVALID_REQUEST", "manual replica assignments are not supported; StreamNest places partitions itself");
      if (t.configs.length > 0) throw refusal("INVALID_REQUEST", `per-topic configs are not supported (${t.configs.map((c) => c.name).join(", ")})`);
      if (t.replicationFactor !== -1 && (t.replicationFactor < 1 || t.replicationFactor > brokers))
        throw new StreamNestError("INVALID_REQUEST", `replication factor ${t.replicationFactor} is not between 1 and the ${brokers} broker(s)`, {
          kafkaError: "INVALID_REPLICATION_FACTOR",
          kafkaErrorCode: KAFKA_ERROR.INVALID_REPLICATION_FACTOR,
        });
      if (partitions < 1) throw new StreamNestError("INVALID_PARTITIONS", `a topic needs at least one partition, not ${partitions}`);
      if (!body.validateOnly) {
        const created = await ctx.broker.createTopic(t.name, partitions);
        if (created === "exists") throw new StreamNestError("TOPIC_EXISTS", `topic "${t.name}" already exists`);
      }
      const d = body.validateOnly ? undefined : ctx.broker.describeTopic(t.name);
      topics.push({
        name: t.name,
        topicId: d ? topicIdOf(t.name, d.createdAt) : undefined,
        errorCode: KAFKA_ERROR.NONE,
        errorMessage: null,
        numPartitions: partitions,
        replicationFactor: d?.partitions[0]?.replicas.length ?? 1,
        configs: [],
      });
    } catch (error) {
      topics.push({ name: t.name, errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error), configs: null });
    }
  }
  return { throttleTimeMs: 0, topics };
}

function refusal(code: "INVALID_REQUEST", message: string): StreamNestError {
  return new StreamNestError(code, message);
}
