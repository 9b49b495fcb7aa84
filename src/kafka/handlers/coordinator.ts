import { StreamNestError } from "../../lib/errors.ts";
import type { KafkaContext } from "../context.ts";

/**
 * A group's calls are served by its coordinator only, the broker leading its
 * `__consumer_offsets` partition (the same one the HTTP API's groups use); elsewhere
 * NOT_COORDINATOR sends the client back to FindCoordinator.
 */
export async function assertCoordinator(ctx: KafkaContext, group: string): Promise<void> {
  const id = await ctx.broker.groups.coordinatorId(group);
  if (id !== ctx.broker.self.id)
    throw new StreamNestError("NOT_COORDINATOR", `broker ${id} coordinates group "${group}", not broker ${ctx.broker.self.id}`);
}
