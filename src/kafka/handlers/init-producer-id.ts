import { isAllowed } from "../authorization.ts";
import { CLUSTER_RESOURCE, topicResource } from "../../auth/acl.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { TRANSACTIONS_REFUSED } from "./find-coordinator.ts";

/**
 * InitProducerId: a fresh producer id at epoch 0 for an idempotent producer. A
 * transactional id is refused as its coordinator is (find-coordinator.ts; transactions
 * are out of scope, and not in ApiVersions).
 * As Kafka since 3.0 (KIP-679): IDEMPOTENT_WRITE on the cluster, or WRITE on some topic,
 * else CLUSTER_AUTHORIZATION_FAILED.
 */
export async function handleInitProducerId(ctx: KafkaContext, { body, conn }: Call<"InitProducerId">) {
  if (body.transactionalId !== null)
    return { throttleTimeMs: 0, errorCode: TRANSACTIONS_REFUSED.errorCode, producerId: -1n, producerEpoch: -1 };
  const mayWrite =
    isAllowed(ctx, conn, "IDEMPOTENT_WRITE", CLUSTER_RESOURCE) ||
    ctx.broker.listTopics(false).some((topic) => isAllowed(ctx, conn, "WRITE", topicResource(topic)));
  if (!mayWrite) return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.CLUSTER_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
  return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE, producerId: ctx.producers.allocate(), producerEpoch: 0 };
}
