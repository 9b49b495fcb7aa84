import { requireTopic } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { changeShowedAfterTimeout } from "./unknown-outcome.ts";

/**
 * DeleteTopics: through the core; internal topics are refused as over HTTP. The topics
 * of one request are deleted concurrently: each is a metadata change through the quorum,
 * and one after another a request naming a hundred topics outlasts a client's timeout
 * on a replicated cluster (librdkafka's 0045 deletes ~100 with 30 s). A deletion whose
 * quorum write timed out is watched for until the request's timeout_ms (unknown-outcome.ts).
 */
export async function handleDeleteTopics(ctx: KafkaContext, { body, conn }: Call<"DeleteTopics">) {
  const deadline = Date.now() + Math.max(0, body.timeoutMs);
  const gone = (name: string) => () => !ctx.broker.clusterMetadata().topics.some((t) => t.topic === name);
  const responses = await Promise.all(
    body.topicNames.map(async (name) => {
      try {
        // DELETE checked before existence: a refused client learns nothing of the topic.
        requireTopic(ctx, conn, "DELETE", name);
        await ctx.broker.deleteTopic(name);
        return { name, errorCode: KAFKA_ERROR.NONE, errorMessage: null };
      } catch (error) {
        if (await changeShowedAfterTimeout(error, gone(name), deadline)) return { name, errorCode: KAFKA_ERROR.NONE, errorMessage: null };
        return { name, errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error) };
      }
    }),
  );
  return { throttleTimeMs: 0, responses };
}
