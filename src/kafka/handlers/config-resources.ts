import { StreamNestError } from "../../lib/errors.ts";
import type { KafkaContext } from "../context.ts";
import { brokerConfigs, type ConfigEntry, topicConfigs } from "../topic-configs.ts";

/** Config resource types (KIP-133): 2 topic, 4 broker. */
export const RESOURCE = { TOPIC: 2, BROKER: 4 } as const;

/**
 * The configs of a DescribeConfigs / AlterConfigs resource: a topic by name, or this
 * broker by its id or "" (the cluster default), as Kafka requires a broker resource to
 * be asked of that broker. Throws what the resource's answer should carry.
 */
export function configsOf(ctx: KafkaContext, type: number, name: string): ConfigEntry[] {
  if (type === RESOURCE.TOPIC) {
    ctx.broker.assertTopic(name);
    return topicConfigs(ctx.broker.config, ctx.broker.describeTopic(name));
  }
  if (type === RESOURCE.BROKER) {
    if (name !== "" && name !== String(ctx.broker.self.id))
      throw new StreamNestError("INVALID_REQUEST", `unexpected broker id, expected ${ctx.broker.self.id} or empty string, but received ${name}`);
    return brokerConfigs(ctx.broker.config, ctx.broker.clusterMetadata().brokers.length);
  }
  throw new StreamNestError("INVALID_REQUEST", `resource type ${type} has no configs here (topics are 2, brokers 4)`);
}
