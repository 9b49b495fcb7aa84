import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";

/** ListGroups: the classic groups this broker coordinates (protocol type "consumer" for Kafka consumers). */
export async function handleListGroups(ctx: KafkaContext, { body }: Call<"ListGroups">) {
  const filter = body.statesFilter.map((s) => s.toLowerCase());
  const groups = ctx.groups
    .list()
    .filter((g) => filter.length === 0 || filter.includes(g.state.toLowerCase()))
    .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state }));
  return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE, groups };
}
