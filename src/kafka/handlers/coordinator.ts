import { groupIdProblem } from "../../broker/groups.ts";
import { StreamNestError } from "../../lib/errors.ts";
import type { KafkaContext } from "../context.ts";
import { protocolError } from "../protocol/error-codes.ts";

/**
 * A group id no group can have (the empty one; see group-id.ts) is INVALID_GROUP_ID, as
 * Kafka answers, before any other check: it would otherwise surface as INVALID_REQUEST
 * from the coordinator lookup, or as UNKNOWN_MEMBER_ID from a Heartbeat.
 */
export function assertKafkaGroupId(group: string): void {
  const problem = groupIdProblem(group);
  if (problem !== undefined) throw protocolError("INVALID_REQUEST", "INVALID_GROUP_ID", problem);
}

/**
 * A group's calls are served by its coordinator only, the broker leading its
 * `__consumer_offsets` partition (the same one the HTTP API's groups use); elsewhere
 * NOT_COORDINATOR sends the client back to FindCoordinator.
 */
export async function assertCoordinator(ctx: KafkaContext, group: string): Promise<void> {
  assertKafkaGroupId(group);
  const id = await ctx.broker.groups.coordinatorId(group);
  if (id !== ctx.broker.self.id)
    throw new StreamNestError("NOT_COORDINATOR", `broker ${id} coordinates group "${group}", not broker ${ctx.broker.self.id}`);
}
