import { requireGroup } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { assertCoordinator } from "./coordinator.ts";

/** JoinGroup: waits for the generation to form; the leader's answer lists every member's metadata, byte for byte. */
export async function handleJoinGroup(ctx: KafkaContext, { body, version, clientId, conn }: Call<"JoinGroup">) {
  try {
    requireGroup(ctx, conn, "READ", body.groupId);
    await assertCoordinator(ctx, body.groupId);
    const group = ctx.groups.open(body.groupId);
    const joined = await group.join(
      {
        memberId: body.memberId,
        groupInstanceId: body.groupInstanceId,
        clientId,
        clientHost: conn.clientHost,
        sessionTimeoutMs: body.sessionTimeoutMs,
        // v0 has no rebalance timeout: the session timeout served for both (KIP-62).
        rebalanceTimeoutMs: version === 0 || body.rebalanceTimeoutMs < 0 ? body.sessionTimeoutMs : body.rebalanceTimeoutMs,
        protocolType: body.protocolType,
        protocols: body.protocols,
      },
      Date.now(),
    );
    return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE, skipAssignment: false, ...joined };
  } catch (error) {
    return {
      throttleTimeMs: 0,
      errorCode: kafkaErrorCode(error),
      generationId: -1,
      protocolType: null,
      protocolName: version >= 7 ? null : "",
      leader: "",
      memberId: body.memberId,
      members: [],
    };
  }
}
