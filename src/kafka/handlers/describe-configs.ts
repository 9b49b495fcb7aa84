import { requireCluster, requireTopic } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { CONFIG_SOURCE } from "../topic-configs.ts";
import { configsOf, RESOURCE } from "./config-resources.ts";

/**
 * DescribeConfigs: the settings StreamNest has, under Kafka's names (topic-level names
 * for a topic, broker-level ones for a broker, as Kafka's TopicConfig and KafkaConfig
 * name them), each with its source: the topic's own (DYNAMIC_TOPIC_CONFIG), a broker
 * flag given (STATIC_BROKER_CONFIG), or the default (DEFAULT_CONFIG); synonyms (v1+)
 * when asked, most specific first, as KIP-226 orders them.
 */
export async function handleDescribeConfigs(ctx: KafkaContext, { body, conn }: Call<"DescribeConfigs">) {
  const results = body.resources.map((r) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      // Kafka: DESCRIBE_CONFIGS on the topic, or on the cluster for a broker's settings.
      if (r.resourceType === RESOURCE.TOPIC) requireTopic(ctx, conn, "DESCRIBE_CONFIGS", r.resourceName);
      else if (r.resourceType === RESOURCE.BROKER) requireCluster(ctx, conn, "DESCRIBE_CONFIGS");
      const keys = r.configurationKeys;
      const configs = configsOf(ctx, r.resourceType, r.resourceName)
        .filter((c) => keys === null || keys.includes(c.name))
        .map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          isDefault: c.source === CONFIG_SOURCE.DEFAULT_CONFIG,
          configSource: c.source,
          isSensitive: false,
          synonyms: body.includeSynonyms ? c.synonyms : [],
          configType: c.type,
          documentation: body.includeDocumentation ? c.documentation : null,
        }));
      return { errorCode: KAFKA_ERROR.NONE, errorMessage: null, ...base, configs };
    } catch (error) {
      return { errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error), ...base, configs: [] };
    }
  });
  return { throttleTimeMs: 0, results };
}
