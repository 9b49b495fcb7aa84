import { StreamNestError } from "../../lib/errors.ts";
import { requireGroup } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { assertCoordinator } from "./coordinator.ts";

/** SyncGroup: the leader hands in every member's assignment; each member gets its own bytes back unchanged. */
export async function handleSyncGroup(ctx: KafkaContext, { body, conn }: Call<"SyncGroup">) {
  try {
    requireGroup(ctx, conn, "READ", body.groupId);
    await assertCoordinator(ctx, body.groupId);
    const group = ctx.groups.get(body.groupId);
    if (!group) throw new StreamNestError("UNKNOWN_MEMBER_ID", `group "${body.groupId}" has no members; join it first`);
    const synced = await group.sync(body.memberId, body.generationId, body.assignments, Date.now());
    return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE, ...synced };
  } catch (error) {
    return { throttleTimeMs: 0, errorCode: kafkaErrorCode(error), protocolType: null, protocolName: null, assignment: new Uint8Array(0) };
  }
}
