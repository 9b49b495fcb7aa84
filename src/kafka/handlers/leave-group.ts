import { isAllowed } from "../authorization.ts";
import { groupResource } from "../../auth/acl.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { assertKafkaGroupId } from "./coordinator.ts";

/** LeaveGroup: v0–v2 one member, v3+ a batch (KIP-345); the others rebalance at once. */
export async function handleLeaveGroup(ctx: KafkaContext, { body, version, conn }: Call<"LeaveGroup">) {
  if (!isAllowed(ctx, conn, "READ", groupResource(body.groupId)))
    return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.GROUP_AUTHORIZATION_FAILED, members: [] };
  try {
    assertKafkaGroupId(body.groupId);
  } catch (error) {
    return { throttleTimeMs: 0, errorCode: kafkaErrorCode(error), members: [] };
  }
  const ids = version >= 3 ? body.members.map((m) => m.memberId) : [body.memberId];
  const group = ctx.groups.get(body.groupId);
  const members = ids.map((memberId) => {
    try {
      if (!group) return { memberId, groupInstanceId: null, errorCode: KAFKA_ERROR.UNKNOWN_MEMBER_ID };
      group.leave(memberId);
      return { memberId, groupInstanceId: null, errorCode: KAFKA_ERROR.NONE };
    } catch (error) {
      return { memberId, groupInstanceId: null, errorCode: kafkaErrorCode(error) };
    }
  });
  const errorCode = version >= 3 ? KAFKA_ERROR.NONE : members[0].errorCode;
  return { throttleTimeMs: 0, errorCode, members };
}
