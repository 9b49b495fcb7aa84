import { MAX_COMMIT_METADATA_LENGTH } from "../../broker/groups.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { topicResource } from "../../auth/acl.ts";
import { isAllowed, requireGroup } from "../authorization.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { assertCoordinator } from "./coordinator.ts";

/**
 * OffsetCommit: the member and generation are checked against the classic group here
 * (generation -1 with no member is a "simple" commit of a group without members), then
 * the offsets and their metadata are written to `__consumer_offsets` by the core's group
 * service, where the HTTP API reads them (`GET /groups/:group`, with lag). As Kafka: READ
 * on the group (else GROUP_AUTHORIZATION_FAILED for every partition), and READ on each
 * topic (else TOPIC_AUTHORIZATION_FAILED for its partitions, which are not committed).
 */
export async function handleOffsetCommit(ctx: KafkaContext, { body, conn }: Call<"OffsetCommit">) {
  let errorCode: number = KAFKA_ERROR.NONE;
  const unreadable = new Set(body.topics.map((t) => t.name).filter((name) => !isAllowed(ctx, conn, "READ", topicResource(name))));
  try {
    requireGroup(ctx, conn, "READ", body.groupId);
    await assertCoordinator(ctx, body.groupId);
    const group = ctx.groups.get(body.groupId);
    const generation = body.generationIdOrMemberEpoch;
    if (group) group.checkCommit(body.memberId, generation, Date.now());
    else if (generation >= 0 || body.memberId !== "") throw unknownMember(body.memberId);
    const offsets = body.topics.filter((t) => !unreadable.has(t.name)).flatMap((t) =>
      t.partitions.filter((p) => !metadataTooLarge(p.committedMetadata)).map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: Number(p.committedOffset),
        metadata: p.committedMetadata ?? "",
      })),
    );
    // Any offset, as Kafka stores it: only HTTP commits are checked against the log's end.
    if (offsets.length > 0) await ctx.broker.groups.commit(body.groupId, { offsets, anyOffset: true });
  } catch (error) {
    errorCode = kafkaErrorCode(error);
  }
  return {
    throttleTimeMs: 0,
    topics: body.topics.map((t) => {
      const code = errorCode === KAFKA_ERROR.NONE && unreadable.has(t.name) ? KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED : errorCode;
      return {
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          // As Kafka: only that partition is refused; the others of the request are committed.
          errorCode: code === KAFKA_ERROR.NONE && metadataTooLarge(p.committedMetadata) ? KAFKA_ERROR.OFFSET_METADATA_TOO_LARGE : code,
        })),
      };
    }),
  };
}

/** Kafka's offset.metadata.max.bytes (GROUP_LIMITS.commitMetadataMaxLength), counted as Kafka counts it: in characters. */
function metadataTooLarge(metadata: string | null): boolean {
  return (metadata ?? "").length > MAX_COMMIT_METADATA_LENGTH;
}

function unknownMember(memberId: string): StreamNestError {
  return new StreamNestError("UNKNOWN_MEMBER_ID", `member "${memberId}" is in no group here`);
}
