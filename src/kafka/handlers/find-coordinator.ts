import { requireGroup } from "../authorization.ts";
import type { ConnectionInfo, KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { errorMessage, kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";

const GROUP = 0;
const TRANSACTION = 1;
/** KIP-932's share groups (2) and any later type: Kafka answers an unknown key type INVALID_REQUEST. */
const UNKNOWN_TYPE = (keyType: number) => ({ errorCode: KAFKA_ERROR.INVALID_REQUEST, errorMessage: `coordinator key type ${keyType} is not 0 (group) or 1 (transaction)` });

/**
 * A transaction coordinator asked for (key type 1): transactions are not served, and the
 * answer must end the client's attempt. Found with real clients: INVALID_REQUEST made
 * librdkafka ask again every 500 ms, so init_transactions() hung until its timeout (or
 * forever) and said only "timed out"; TRANSACTIONAL_ID_AUTHORIZATION_FAILED is the code
 * librdkafka and kafkajs stop on at once, and the message says why.
 */
export const TRANSACTIONS_REFUSED = {
  errorCode: KAFKA_ERROR.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  errorMessage: "transactions are not supported by StreamNest; use an idempotent producer (enable.idempotence) without transactional.id",
};

/** FindCoordinator: the broker leading the group's `__consumer_offsets` partition (v4+: several keys at once). */
export async function handleFindCoordinator(ctx: KafkaContext, { body, version, conn }: Call<"FindCoordinator">) {
  const keys = version >= 4 ? body.coordinatorKeys : [body.key];
  const coordinators = await Promise.all(keys.map((key) => find(ctx, conn, key, body.keyType)));
  if (version >= 4) return { throttleTimeMs: 0, coordinators };
  const [one] = coordinators;
  return { throttleTimeMs: 0, errorCode: one.errorCode, errorMessage: one.errorMessage, nodeId: one.nodeId, host: one.host, port: one.port };
}

async function find(ctx: KafkaContext, conn: ConnectionInfo, key: string, keyType: number) {
  const none = { key, nodeId: -1, host: "", port: -1 };
  if (keyType === TRANSACTION) return { ...none, ...TRANSACTIONS_REFUSED };
  if (keyType !== GROUP) return { ...none, ...UNKNOWN_TYPE(keyType) };
  try {
    requireGroup(ctx, conn, "DESCRIBE", key);
    const id = await ctx.broker.groups.coordinatorId(key);
    const at = ctx.kafkaAddressOf(id);
    if (!at) return { ...none, errorCode: KAFKA_ERROR.COORDINATOR_NOT_AVAILABLE, errorMessage: `broker ${id} has no Kafka listener` };
    return { key, nodeId: id, host: at.host, port: at.port, errorCode: KAFKA_ERROR.NONE, errorMessage: null };
  } catch (error) {
    return { ...none, errorCode: kafkaErrorCode(error), errorMessage: errorMessage(error) };
  }
}
