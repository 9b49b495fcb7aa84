import { defineApi } from "../api.ts";
import { array, field, int16, int32, int64, int8, string, struct } from "../schema.ts";

/**
 * ListOffsets (key 2), v0–v7. v0 (an array of old-style offsets) is kept for old clients;
 * v6 is the first flexible version and v7 adds the max-timestamp query (-3, KIP-734),
 * which StreamNest can answer from its index. v8 adds the earliest-local query of tiered
 * storage (KIP-405) and v9+ the KIP-1005 tiered offsets; StreamNest has no tiered storage.
 */
export const ListOffsets = defineApi({
  key: 2,
  name: "ListOffsets",
  minVersion: 0,
  maxVersion: 7,
  flexibleFrom: 6,
  request: struct(
    field("replicaId", int32, "0+", { default: -1 }),
    field("isolationLevel", int8, "2+"),
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
                field("currentLeaderEpoch", int32, "4+", { default: -1 }),
                field("timestamp", int64, "0+"),
                field("maxNumOffsets", int32, "0", { default: 1 }),
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
    field("throttleTimeMs", int32, "2+"),
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
                field("errorCode", int16, "0+"),
                field("oldStyleOffsets", array(int64), "0"),
                field("timestamp", int64, "1+", { default: -1n }),
                field("offset", int64, "1+", { default: -1n }),
                field("leaderEpoch", int32, "4+", { default: -1 }),
              ),
            ),
            "0+",
          ),
        ),
      ),
      "0+",
    ),
  ),
});
