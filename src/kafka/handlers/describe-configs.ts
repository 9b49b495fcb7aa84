import { CORE } from "../../config/core.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { requireCluster, requireTopic } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";

/** DescribeConfigs resource types (KIP-133): 2 topic, 4 broker. */
const TOPIC = 2;
const BROKER = 4;
/** Config sources (KIP-226): 1 a topic's own setting, 4 the broker's static config. */
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
/** Config types (KIP-569): 3 INT, 5 LONG, 7 LIST. */
const INT = 3;
const LONG = 5;
const LIST = 7;

/** One setting: its Kafka name for a topic and for a broker, its value, type and source. */
interface Setting {
  topicName: string;
  brokerName: string;
  value: string;
  type: number;
  source: number;
}

/**
 * DescribeConfigs: the settings StreamNest has, under Kafka's names (the topic-level name
 * for a topic, the broker-level one for a broker, as Kafka's TopicConfig and KafkaConfig
 * name them): retention, segment size, max message bytes, min ISR, cleanup policy and
 * replication factor. All read-only: StreamNest has no AlterConfigs. A broker is named
 * by its id, or "" for the cluster default, as Kafka requires.
 */
export async function handleDescribeConfigs(ctx: KafkaContext, { body, conn }: Call<"DescribeConfigs">) {
  const results = body.resources.map((r) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      // Kafka: DESCRIBE_CONFIGS on the topic, or on the cluster for a broker's settings.
      if (r.resourceType === TOPIC) requireTopic(ctx, conn, "DESCRIBE_CONFIGS", r.resourceName);
      else if (r.resourceType === BROKER) requireCluster(ctx, conn, "DESCRIBE_CONFIGS");
      const settings = settingsOf(ctx, r.resourceType, r.resourceName);
      const keys = r.configurationKeys;
      const configs = settings
        .map((s) => ({ ...s, name: r.resourceType === TOPIC ? s.topicName : s.brokerName }))
        .filter((s) => keys === null || keys.includes(s.name))
        .map((s) => ({
          name: s.name,
          value: s.value,
          readOnly: true,
          isDefault: false,
          configSource: s.source,
          isSensitive: false,
          synonyms: [],
          configType: s.type,
          documentation: null,
        }));
      return { errorCode: KAFKA_ERROR.NONE, errorMessage: null, ...base, configs };
    } catch (error) {
      return { errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error), ...base, configs: [] };
    }
  });
  return { throttleTimeMs: 0, results };
}

function settingsOf(ctx: KafkaContext, type: number, name: string): Setting[] {
  const config = ctx.broker.config;
  const brokerWide = (topicName: string, brokerName: string, value: string, configType: number): Setting => ({
    topicName,
    brokerName,
    value,
    type: configType,
    source: STATIC_BROKER_CONFIG,
  });
  const common = [
    brokerWide("retention.ms", "log.retention.ms", String(config.log.retentionMs ?? -1), LONG),
    brokerWide("retention.bytes", "log.retention.bytes", String(config.log.retentionBytes ?? -1), LONG),
    brokerWide("segment.bytes", "log.segment.bytes", String(config.log.segmentBytes ?? CORE.segmentBytes.default), INT),
    brokerWide("max.message.bytes", "message.max.bytes", String(config.maxMessageBytes), INT),
    brokerWide("cleanup.policy", "log.cleanup.policy", "delete", LIST),
  ];
  if (type === TOPIC) {
    ctx.broker.assertTopic(name);
    const topic = ctx.broker.describeTopic(name);
    const factor = topic.replicationFactor ?? topic.partitions[0]?.replicas.length ?? 1;
    // A replicated topic carries its own min ISR (set at creation); others have the default 1.
    const minIsr = topic.minInsyncReplicas;
    return [
      ...common,
      minIsr === undefined
        ? brokerWide("min.insync.replicas", "min.insync.replicas", "1", INT)
        : { topicName: "min.insync.replicas", brokerName: "min.insync.replicas", value: String(minIsr), type: INT, source: DYNAMIC_TOPIC_CONFIG },
      { topicName: "replication.factor", brokerName: "replication.factor", value: String(factor), type: INT, source: DYNAMIC_TOPIC_CONFIG },
    ];
  }
  if (type === BROKER) {
    if (name !== "" && name !== String(ctx.broker.self.id))
      throw new StreamNestError("INVALID_REQUEST", `unexpected broker id, expected ${ctx.broker.self.id} or empty string, but received ${name}`);
    const brokers = ctx.broker.clusterMetadata().brokers.length;
    const factor = Math.min(config.defaultReplicationFactor, Math.max(brokers, 1));
    return [
      ...common,
      brokerWide("min.insync.replicas", "min.insync.replicas", factor > 1 ? "2" : "1", INT),
      brokerWide("default.replication.factor", "default.replication.factor", String(factor), INT),
    ];
  }
  throw new StreamNestError("INVALID_REQUEST", `resource type ${type} has no configs here (topics are 2, brokers 4)`);
}
