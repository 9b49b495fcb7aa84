import { StreamNestError } from "../../lib/errors.ts";
import type { KafkaContext } from "../context.ts";
import { requireCluster, requireTopic } from "../authorization.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { type ConfigChange, invalidConfig, topicConfigPatch } from "../topic-configs.ts";
import type { TopicConfigPatch } from "../../broker/topic-admin.ts";
import { configsOf, RESOURCE } from "./config-resources.ts";

/** IncrementalAlterConfigs operations (KIP-339). */
const OP = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

interface Resource {
  resourceType: number;
  resourceName: string;
}

/**
 * One resource's change through the core's per-topic config (a `set-topic-config`
 * metadata change, as PATCH /topics/:topic makes): checked whole first, so a resource
 * with one bad config changes nothing; validate_only stops after the check. A broker's
 * configs are its flags: naming one with another value is INVALID_CONFIG.
 */
/** Kafka's rule: ALTER_CONFIGS on the topic, or on the cluster for a broker's configs; checked before anything else. */
function authorizeAlter(ctx: KafkaContext, conn: Call<"AlterConfigs">["conn"], r: Resource): void {
  if (r.resourceType === RESOURCE.TOPIC) requireTopic(ctx, conn, "ALTER_CONFIGS", r.resourceName);
  else if (r.resourceType === RESOURCE.BROKER) requireCluster(ctx, conn, "ALTER_CONFIGS");
}

async function alterOne(
  ctx: KafkaContext,
  conn: Call<"AlterConfigs">["conn"],
  r: Resource,
  changes: ConfigChange[],
  replaceAll: boolean,
  validateOnly: boolean,
) {
  const base = { resourceType: r.resourceType, resourceName: r.resourceName };
  try {
    authorizeAlter(ctx, conn, r);
    const current = configsOf(ctx, r.resourceType, r.resourceName);
    // AlterConfigs replaces a resource's dynamic configs: what it does not name is unset.
    const patch: TopicConfigPatch = { ...(replaceAll ? { retentionMs: null, retentionBytes: null } : {}), ...topicConfigPatch(current, changes) };
    if (r.resourceType === RESOURCE.TOPIC && !validateOnly) await ctx.broker.setTopicConfig(r.resourceName, patch);
    return { errorCode: KAFKA_ERROR.NONE, errorMessage: null, ...base };
  } catch (error) {
    return { errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error), ...base };
  }
}

/** AlterConfigs (key 33): each resource's whole set of dynamic configs. */
export async function handleAlterConfigs(ctx: KafkaContext, { body, conn }: Call<"AlterConfigs">) {
  const responses = [];
  for (const r of body.resources) responses.push(await alterOne(ctx, conn, r, r.configs, r.resourceType === RESOURCE.TOPIC, body.validateOnly));
  return { throttleTimeMs: 0, responses };
}

/** IncrementalAlterConfigs (key 44, KIP-339): SET and DELETE of single configs. */
export async function handleIncrementalAlterConfigs(ctx: KafkaContext, { body, conn }: Call<"IncrementalAlterConfigs">) {
  const responses = [];
  for (const r of body.resources) {
    let changes: ConfigChange[];
    try {
      authorizeAlter(ctx, conn, r);
      changes = r.configs.map((c) => {
        if (c.configOperation === OP.SET) return { name: c.name, value: c.value };
        if (c.configOperation === OP.DELETE) return { name: c.name, value: null };
        if (c.configOperation === OP.APPEND || c.configOperation === OP.SUBTRACT)
          throw invalidConfig(`${c.name}: APPEND and SUBTRACT change list configs; the only one here, cleanup.policy, is read-only`);
        throw new StreamNestError("INVALID_REQUEST", `${c.name}: unknown config operation ${c.configOperation}`);
      });
    } catch (error) {
      responses.push({ errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error), resourceType: r.resourceType, resourceName: r.resourceName });
      continue;
    }
    responses.push(await alterOne(ctx, conn, r, changes, false, body.validateOnly));
  }
  return { throttleTimeMs: 0, responses };
}
