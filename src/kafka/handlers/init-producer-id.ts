import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";

/**
 * InitProducerId: a fresh producer id at epoch 0 for an idempotent producer. A
 * transactional id is refused (transactions are out of scope, and not in ApiVersions).
 */
export async function handleInitProducerId(ctx: KafkaContext, { body }: Call<"InitProducerId">) {
  if (body.transactionalId !== null)
    return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
  return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE, producerId: ctx.producers.allocate(), producerEpoch: 0 };
}
