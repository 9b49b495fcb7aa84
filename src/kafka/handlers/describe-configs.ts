import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";

const TOPIC = 2;
const BROKER = 4;
/** DescribeConfigs config sources (KIP-226): 4 static broker config, 5 default. */
const STATIC_BROKER_CONFIG = 4;
/** DescribeConfigs config types (KIP-569): 3 INT, 5 LONG, 7 STRING. */
const INT = 3;
const LONG = 5;

/**
 * DescribeConfigs: the settings StreamNest has, under Kafka's names — retention,
 * segment size, replication factor, min ISR, max message bytes — for a topic (all
 * topics share the broker's) or a broker. All read-only.
 */
export async function handleDescribeConfigs(ctx: KafkaContext, { body }: Call<"DescribeConfigs">) {
  const config = ctx.broker.config;
  const settings: [string, string, number][] = [
    ["retention.ms", String(config.log.retentionMs ?? -1), LONG],
    ["retention.bytes", String(config.log.retentionBytes ?? -1), LONG],
    ["segment.bytes", String(config.log.segmentBytes ?? 1073741824), INT],
    ["max.message.bytes", String(config.maxMessageBytes), INT],
    ["min.insync.replicas", "1", INT],
    ["cleanup.policy", "delete", 7],
  ];
  const results = body.resources.map((r) => {
    try {
      if (r.resourceType === TOPIC) ctx.broker.assertTopic(r.resourceName);
      else if (r.resourceType !== BROKER)
        return { errorCode: KAFKA_ERROR.INVALID_REQUEST, errorMessage: `resource type ${r.resourceType} has no configs here`, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
      const replication = r.resourceType === TOPIC ? ctx.broker.describeTopic(r.resourceName).partitions[0]?.replicas.length ?? 1 : 1;
      const all: [string, string, number][] = [
        ...settings,
        [r.resourceType === TOPIC ? "replication.factor" : "default.replication.factor", String(replication), INT],
      ];
      const keys = r.configurationKeys;
      return {
        errorCode: KAFKA_ERROR.NONE,
        errorMessage: null,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: all
          .filter(([name]) => keys === null || keys.includes(name))
          .map(([name, value, configType]) => ({
            name,
            value,
            readOnly: true,
            isDefault: false,
            configSource: STATIC_BROKER_CONFIG,
            isSensitive: false,
            synonyms: [],
            configType,
            documentation: null,
          })),
      };
    } catch (error) {
      return { errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error), resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
    }
  });
  return { throttleTimeMs: 0, results };
}
