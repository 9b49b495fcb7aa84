import { isAllowed } from "../authorization.ts";
import { CLUSTER_RESOURCE, groupResource } from "../../auth/acl.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";

/**
 * ListGroups: the groups this broker coordinates, as each Kafka coordinator answers
 * (clients ask every broker). The classic groups of Kafka clients connected here with
 * their protocol type and state; besides them, groups known only by committed offsets or
 * by HTTP membership, with no protocol type, as Kafka lists a group that only committed
 * offsets. v4 filters by state (KIP-518), ignoring case as Kafka does. As Kafka: all of
 * them with DESCRIBE on the cluster, else only the groups the principal may DESCRIBE.
 */
export async function handleListGroups(ctx: KafkaContext, { body, conn }: Call<"ListGroups">) {
  const filter = body.statesFilter.map((s) => s.toLowerCase());
  const classic = ctx.groups.all().map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state as string }));
  const seen = new Set(classic.map((g) => g.groupId));
  const others = ctx.broker.groups
    .listHere()
    .filter((g) => !seen.has(g.group))
    .map((g) => ({ groupId: g.group, protocolType: "", groupState: g.state as string }));
  const everyGroup = isAllowed(ctx, conn, "DESCRIBE", CLUSTER_RESOURCE);
  const groups = [...classic, ...others]
    .filter((g) => filter.length === 0 || filter.includes(g.groupState.toLowerCase()))
    .filter((g) => everyGroup || isAllowed(ctx, conn, "DESCRIBE", groupResource(g.groupId)));
  return { throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE, groups };
}
