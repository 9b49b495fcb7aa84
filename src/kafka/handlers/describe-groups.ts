import { requireGroup } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { assertCoordinator } from "./coordinator.ts";

/**
 * DescribeGroups: state, protocol, and each member's metadata and assignment as the
 * clients sent them (the bytes relayed, never parsed). An unknown group is no error:
 * Kafka answers it with state Dead and no members.
 */
export async function handleDescribeGroups(ctx: KafkaContext, { body, conn }: Call<"DescribeGroups">) {
  const groups = await Promise.all(
    body.groups.map(async (groupId) => {
      try {
        requireGroup(ctx, conn, "DESCRIBE", groupId);
        await assertCoordinator(ctx, groupId);
      } catch (error) {
        return { errorCode: kafkaErrorCode(error), groupId, groupState: "", protocolType: "", protocolData: "", members: [] };
      }
      const g = ctx.groups.get(groupId);
      if (!g) {
        // No classic group: one known by committed offsets (or HTTP members) is Empty, as
        // Kafka describes a group that only committed offsets; an unknown one is Dead.
        const known = ctx.broker.groups.listHere().some((other) => other.group === groupId);
        return { errorCode: KAFKA_ERROR.NONE, groupId, groupState: known ? "Empty" : "Dead", protocolType: "", protocolData: "", members: [] };
      }
      return {
        errorCode: KAFKA_ERROR.NONE,
        groupId,
        groupState: g.state,
        protocolType: g.protocolType,
        protocolData: g.protocolName ?? "",
        members: g.describe().map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
      };
    }),
  );
  return { throttleTimeMs: 0, groups };
}
