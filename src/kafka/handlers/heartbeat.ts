import { StreamNestError } from "../../lib/errors.ts";
import { requireGroup } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { assertKafkaGroupId } from "./coordinator.ts";

/** Heartbeat: keeps the member's session; REBALANCE_IN_PROGRESS tells it to rejoin. */
export async function handleHeartbeat(ctx: KafkaContext, { body, conn }: Call<"Heartbeat">) {
  try {
    requireGroup(ctx, conn, "READ", body.groupId);
    assertKafkaGroupId(body.groupId);
    const group = ctx.groups.get(body.groupId);
    if (!group) throw new StreamNestError("UNKNOWN_MEMBER_ID", `group "${body.groupId}" has no members`);
    group.heartbeat(body.memberId, body.generationId, Date.now());
    return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE };
  } catch (error) {
    return { throttleTimeMs: 0, errorCode: kafkaErrorCode(error) };
  }
}
