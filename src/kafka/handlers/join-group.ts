import { GROUP_LIMITS } from "../../config/core.ts";
import { requireGroup } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { protocolError } from "../protocol/error-codes.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { assertCoordinator } from "./coordinator.ts";

/** JoinGroup: waits for the generation to form; the leader's answer lists every member's metadata, byte for byte. */
export async function handleJoinGroup(ctx: KafkaContext, { body, version, clientId, conn }: Call<"JoinGroup">) {
  try {
    requireGroup(ctx, conn, "READ", body.groupId);
    checkJoin(body);
    await assertCoordinator(ctx, body.groupId);
    // Members that joined over HTTP hold assignments of their own coordinator: a Kafka
    // consumer joining too would read the same partitions twice (Kafka answers a join whose
    // protocol the group's members do not share with INCONSISTENT_GROUP_PROTOCOL).
    const httpMembers = ctx.broker.groups.membersHere(body.groupId);
    if (httpMembers > 0)
      throw protocolError(
        "INVALID_REQUEST",
        "INCONSISTENT_GROUP_PROTOCOL",
        `group "${body.groupId}" has ${httpMembers} member(s) that joined over HTTP; a Kafka consumer cannot join it`,
      );
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

/**
 * What Kafka's coordinator refuses before a member joins: a session timeout outside
 * group.min/max.session.timeout.ms (INVALID_SESSION_TIMEOUT; the same bounds as the HTTP
 * groups': a member asking for 0 would be expired at once, one asking for 2^31 ms would
 * hold its partitions for weeks after it died), and a join naming no protocol type or no
 * protocol (INCONSISTENT_GROUP_PROTOCOL: there would be nothing to agree on).
 */
function checkJoin(body: Call<"JoinGroup">["body"]): void {
  const min = GROUP_LIMITS.sessionTimeoutMinMs.value;
  const max = GROUP_LIMITS.sessionTimeoutMaxMs.value;
  if (body.sessionTimeoutMs < min || body.sessionTimeoutMs > max)
    throw protocolError("INVALID_REQUEST", "INVALID_SESSION_TIMEOUT", `the session timeout must be from ${min} to ${max} ms, not ${body.sessionTimeoutMs}`);
  if (body.protocolType === "" || body.protocols.length === 0)
    throw protocolError("INVALID_REQUEST", "INCONSISTENT_GROUP_PROTOCOL", "a join must name its protocol type and at least one protocol");
}
