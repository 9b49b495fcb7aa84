import { requireTopic } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";

/** DeleteTopics: through the core; internal topics are refused as over HTTP. */
export async function handleDeleteTopics(ctx: KafkaContext, { body, conn }: Call<"DeleteTopics">) {
  const responses = [];
  for (const name of body.topicNames) {
    try {
      // DELETE checked before existence: a refused client learns nothing of the topic.
      requireTopic(ctx, conn, "DELETE", name);
      await ctx.broker.deleteTopic(name);
      responses.push({ name, errorCode: KAFKA_ERROR.NONE, errorMessage: null });
    } catch (error) {
      responses.push({ name, errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error) });
    }
  }
  return { throttleTimeMs: 0, responses };
}
