import type { GroupService } from "../../broker/groups.ts";
import { topicResource } from "../../auth/acl.ts";
import { isAllowed, requireGroup } from "../authorization.ts";
import type { ConnectionInfo, KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { assertCoordinator } from "./coordinator.ts";

type CommittedOffset = Awaited<ReturnType<GroupService["offsets"]>>[number];
type Asked = { name: string; partitionIndexes: number[] }[] | null;

/**
 * OffsetFetch: committed offsets with their metadata from `__consumer_offsets`, whichever
 * protocol committed them; -1 for a partition without one. A null topic list (v2+) means
 * every partition the group has committed. v8 asks for several groups at once. As Kafka:
 * DESCRIBE on the group (else GROUP_AUTHORIZATION_FAILED), and DESCRIBE on each topic:
 * a named one is answered TOPIC_AUTHORIZATION_FAILED, and "every partition" leaves out
 * the topics the principal may not describe.
 */
export async function handleOffsetFetch(ctx: KafkaContext, { body, version, conn }: Call<"OffsetFetch">) {
  if (version >= 8) {
    const groups = await Promise.all(
      body.groups.map(async (g) => {
        const { topics, errorCode } = await fetchGroup(ctx, conn, g.groupId, g.topics);
        return { groupId: g.groupId, topics, errorCode };
      }),
    );
    return { throttleTimeMs: 0, groups };
  }
  const { topics, errorCode } = await fetchGroup(ctx, conn, body.groupId, body.topics);
  return { throttleTimeMs: 0, topics, errorCode };
}

async function fetchGroup(ctx: KafkaContext, conn: ConnectionInfo, groupId: string, asked: Asked) {
  let committed: CommittedOffset[];
  try {
    requireGroup(ctx, conn, "DESCRIBE", groupId);
    await assertCoordinator(ctx, groupId);
    committed = await ctx.broker.groups.offsets(groupId);
  } catch (error) {
    const code = kafkaErrorCode(error);
    if (code !== KAFKA_ERROR.GROUP_ID_NOT_FOUND) return { topics: answerAll(asked, code), errorCode: code };
    committed = [];
  }
  const describable = (topic: string): boolean => isAllowed(ctx, conn, "DESCRIBE", topicResource(topic));
  if (asked === null) committed = committed.filter((c) => describable(c.topic));
  const byKey = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c]));
  const wanted =
    asked ??
    [...new Set(committed.map((c) => c.topic))].map((name) => ({
      name,
      partitionIndexes: committed.filter((c) => c.topic === name).map((c) => c.partition),
    }));
  const topics = wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => {
      const c = describable(t.name) ? byKey.get(`${t.name}\u0000${p}`) : undefined;
      return {
        partitionIndex: p,
        committedOffset: BigInt(c?.offset ?? -1),
        committedLeaderEpoch: -1,
        metadata: c ? c.metadata : "",
        errorCode: describable(t.name) ? KAFKA_ERROR.NONE : KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED,
      };
    }),
  }));
  return { topics, errorCode: KAFKA_ERROR.NONE };
}

function answerAll(asked: Asked, errorCode: number) {
  return (asked ?? []).map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, metadata: null, errorCode })),
  }));
}
