import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";

/**
 * CreatePartitions: refused. The core keys a record's partition by murmur2(key) mod the
 * partition count and has no call to grow a topic; the answer says so per topic
 * (INVALID_REQUEST, as Kafka answers a request it will not carry out).
 */
export async function handleCreatePartitions(_ctx: KafkaContext, { body }: Call<"CreatePartitions">) {
  return {
    throttleTimeMs: 0,
    results: body.topics.map((t) => ({
      name: t.name,
      errorCode: KAFKA_ERROR.INVALID_REQUEST,
      errorMessage: "StreamNest cannot add partitions to an existing topic yet; create a new topic with more partitions",
    })),
  };
}
