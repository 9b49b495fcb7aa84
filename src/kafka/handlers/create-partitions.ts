import { StreamNestError } from "../../lib/errors.ts";
import { requireTopic } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";

/**
 * CreatePartitions (KIP-195): grows each topic to `count` partitions through the core
 * (a metadata change, placed as the topic's first partitions were). `count` is the new
 * total; equal or fewer is INVALID_PARTITIONS, as Kafka answers. Manual assignments are
 * refused with INVALID_REPLICA_ASSIGNMENT: StreamNest places partitions itself. A topic
 * named twice in one request fails both times with INVALID_REQUEST, as in Kafka.
 * After growth a key may map to another partition (murmur2 mod the new count).
 */
export async function handleCreatePartitions(ctx: KafkaContext, { body, conn }: Call<"CreatePartitions">) {
  const seen = new Map<string, number>();
  for (const t of body.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
  const results = [];
  for (const t of body.topics) {
    try {
      requireTopic(ctx, conn, "ALTER", t.name);
      if ((seen.get(t.name) ?? 0) > 1) throw new StreamNestError("INVALID_REQUEST", `topic "${t.name}" is named more than once in the request`);
      if (t.assignments !== null)
        throw new StreamNestError("INVALID_REQUEST", "manual replica assignments are not supported; StreamNest places partitions itself", {
          kafkaError: "INVALID_REPLICA_ASSIGNMENT",
          kafkaErrorCode: KAFKA_ERROR.INVALID_REPLICA_ASSIGNMENT,
        });
      await ctx.broker.createPartitions(t.name, t.count, { validateOnly: body.validateOnly });
      results.push({ name: t.name, errorCode: KAFKA_ERROR.NONE, errorMessage: null });
    } catch (error) {
      results.push({ name: t.name, errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error) });
    }
  }
  return { throttleTimeMs: 0, results };
}
