import { requireGroup } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import type { GroupDescription } from "../../broker/groups.ts";
import { encodeAssignment, encodeSubscription } from "../groups/consumer-protocol.ts";
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
        const http = ctx.broker.groups.ownGroupHere(groupId);
        if (http !== undefined) return httpGroup(groupId, http);
        // No group with members: one known by committed offsets is Empty, as Kafka
        // describes a group that only committed offsets; an unknown one is Dead.
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

/**
 * A group whose members joined over HTTP, as Kafka's tools read a consumer group: its
 * state, its assignor as the protocol, and each member's subscription and partitions in
 * the consumer protocol's bytes (v0), so that kafka-consumer-groups --describe and an
 * AdminClient show who consumes what. The protocol type is empty, as ListGroups gives it
 * (Kafka's AdminClient decodes the bytes of an empty type as of "consumer"). An HTTP
 * member has no group instance id, and no client host is recorded for it.
 */
function httpGroup(groupId: string, group: GroupDescription) {
  return {
    errorCode: KAFKA_ERROR.NONE,
    groupId,
    groupState: group.members.length === 0 ? "Empty" : group.state,
    protocolType: "",
    protocolData: group.members.length === 0 ? "" : (group.assignor ?? ""),
    members: group.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: null,
      clientId: m.clientId,
      clientHost: "",
      memberMetadata: encodeSubscription(m.topics),
      memberAssignment: encodeAssignment(m.assignments),
    })),
  };
}
