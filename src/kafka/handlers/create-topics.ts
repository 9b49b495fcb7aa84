import { StreamNestError } from "../../lib/errors.ts";
import { assertTopicName } from "../../lib/topic-name.ts";
import { requireCreate } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { newTopicConfigs, topicConfigs } from "../topic-configs.ts";
import { topicIdOf } from "../topic-ids.ts";
import { changeShowedAfterTimeout } from "./unknown-outcome.ts";

/**
 * CreateTopics: through the core, so a topic created over Kafka gets the same placement
 * as one created over HTTP. -1 partitions means --default-partitions, -1 replication
 * factor --default-replication-factor (capped at the live brokers). `configs` may set
 * retention.ms, retention.bytes and min.insync.replicas (topic-configs.ts); manual
 * replica assignments are refused (StreamNest places partitions itself). validate_only
 * checks everything a creation would and creates nothing. The topics of one request are
 * created concurrently (each is a metadata change through the quorum; one after another,
 * a hundred outlast a client's timeout on a replicated cluster: librdkafka's 0045).
 */
export async function handleCreateTopics(ctx: KafkaContext, { body, conn }: Call<"CreateTopics">) {
  const brokers = ctx.broker.clusterMetadata().brokers.length;
  const deadline = Date.now() + Math.max(0, body.timeoutMs);
  // As Kafka's ControllerApis: a name given twice in one request is INVALID_REQUEST for
  // each mention, and that topic is not created (which mention's settings would win?).
  const counts = new Map<string, number>();
  for (const t of body.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const topics = await Promise.all(
    body.topics.map((t) =>
      (counts.get(t.name) ?? 0) > 1
        ? { name: t.name, errorCode: KAFKA_ERROR.INVALID_REQUEST, errorMessage: `topic "${t.name}" is named more than once in this request`, configs: null }
        : createOne(ctx, conn, t, brokers, body.validateOnly, deadline),
    ),
  );
  return { throttleTimeMs: 0, topics };
}

async function createOne(
  ctx: KafkaContext,
  conn: Call<"CreateTopics">["conn"],
  t: Call<"CreateTopics">["body"]["topics"][number],
  brokers: number,
  validateOnly: boolean,
  /** Until when a creation whose quorum write timed out is watched for (the request's timeout_ms; unknown-outcome.ts). */
  deadline: number,
) {
  const partitions = t.numPartitions === -1 ? ctx.options.defaultPartitions : t.numPartitions;
  try {
    // CREATE checked first: a refused client learns nothing of the topic or its settings.
    requireCreate(ctx, conn, t.name);
    if (t.assignments.length > 0) throw new StreamNestError("INVALID_REQUEST", "manual replica assignments are not supported; StreamNest places partitions itself");
    if (t.replicationFactor !== -1 && (t.replicationFactor < 1 || t.replicationFactor > brokers))
      throw new StreamNestError("INVALID_REQUEST", `replication factor ${t.replicationFactor} is not between 1 and the ${brokers} broker(s)`, {
        kafkaError: "INVALID_REPLICATION_FACTOR",
        kafkaErrorCode: KAFKA_ERROR.INVALID_REPLICATION_FACTOR,
      });
    if (partitions < 1) throw new StreamNestError("INVALID_PARTITIONS", `a topic needs at least one partition, not ${partitions}`);
    const factor = t.replicationFactor === -1 ? Math.min(ctx.broker.config.defaultReplicationFactor, Math.max(brokers, 1)) : t.replicationFactor;
    const { minInsyncReplicas, ...config } = newTopicConfigs(ctx.broker.config, factor, t.configs);
    if (validateOnly) {
      assertTopicName(t.name);
      if (ctx.broker.clusterMetadata().topics.some((x) => x.topic === t.name))
        throw new StreamNestError("TOPIC_EXISTS", `topic "${t.name}" already exists`);
    } else {
      const exists = () => ctx.broker.clusterMetadata().topics.some((x) => x.topic === t.name);
      const created = await ctx.broker
        .createTopic(t.name, partitions, {
          ...(t.replicationFactor !== -1 ? { replicationFactor: t.replicationFactor } : {}),
          ...(minInsyncReplicas !== undefined ? { minInsyncReplicas } : {}),
          config,
        })
        .catch(async (error: unknown) => {
          if (await changeShowedAfterTimeout(error, exists, deadline)) return "created" as const;
          throw error;
        });
      if (created === "exists") throw new StreamNestError("TOPIC_EXISTS", `topic "${t.name}" already exists`);
    }
    const d = validateOnly ? undefined : ctx.broker.describeTopic(t.name);
    // v5+: the new topic's configs, as DescribeConfigs would show them.
    const configs = d
      ? topicConfigs(ctx.broker.config, d).map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.source, isSensitive: false }))
      : [];
    return {
      name: t.name,
      topicId: d ? topicIdOf(t.name, d.createdAt) : undefined,
      errorCode: KAFKA_ERROR.NONE,
      errorMessage: null,
      numPartitions: partitions,
      replicationFactor: d?.partitions[0]?.replicas.length ?? factor,
      configs,
    };
  } catch (error) {
    return { name: t.name, errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error), configs: null };
  }
}
