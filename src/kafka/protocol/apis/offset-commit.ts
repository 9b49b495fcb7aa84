import { defineApi } from "../api.ts";
import { array, field, int16, int32, int64, nullable, string, struct } from "../schema.ts";

/**
 * OffsetCommit (key 8), v0–v8. v1 adds the generation and member, v2–v4 a retention
 * time, v6 the leader epoch, v7 the group instance id; v8 is the first flexible version.
 * v9 belongs to the KIP-848 consumer protocol (member epochs), which StreamNest does not
 * run: it keeps the classic group protocol.
 */
export const OffsetCommit = defineApi({
  key: 8,
  name: "OffsetCommit",
  minVersion: 0,
  maxVersion: 8,
  flexibleFrom: 8,
  request: struct(
    field("groupId", string, "0+"),
    field("generationIdOrMemberEpoch", int32, "1+", { default: -1 }),
    field("memberId", string, "1+"),
    field("groupInstanceId", nullable(string), "7+"),
    field("retentionTimeMs", int64, "2-4", { default: -1n }),
    field(
      "topics",
      array(
        struct(
          field("name", string, "0+"),
          field(
            "partitions",
            array(
              struct(
                field("partitionIndex", int32, "0+"),
                field("committedOffset", int64, "0+"),
                field("committedLeaderEpoch", int32, "6+", { default: -1 }),
                field("commitTimestamp", int64, "1", { default: -1n }),
                field("committedMetadata", nullable(string), "0+"),
              ),
            ),
            "0+",
          ),
        ),
      ),
      "0+",
    ),
  ),
  response: struct(
    field("throttleTimeMs", int32, "3+"),
    field(
      "topics",
      array(
        struct(
          field("name", string, "0+"),
          field("partitions", array(struct(field("partitionIndex", int32, "0+"), field("errorCode", int16, "0+"))), "0+"),
        ),
      ),
      "0+",
    ),
  ),
});
