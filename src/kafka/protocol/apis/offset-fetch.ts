import { defineApi } from "../api.ts";
import { array, bool, field, int16, int32, int64, nullable, string, struct } from "../schema.ts";

const partitionAnswer = struct(
  field("partitionIndex", int32, "0+"),
  field("committedOffset", int64, "0+"),
  field("committedLeaderEpoch", int32, "5+", { default: -1 }),
  field("metadata", nullable(string), "0+"),
  field("errorCode", int16, "0+"),
);

/**
 * OffsetFetch (key 9), v0–v8. v2 lets a null topic list mean "every topic", v5 adds the
 * leader epoch, v6 is the first flexible version, v7 require-stable, v8 (KIP-709) several
 * groups per request. v9 adds KIP-848 member epochs (see OffsetCommit).
 */
export const OffsetFetch = defineApi({
  key: 9,
  name: "OffsetFetch",
  minVersion: 0,
  maxVersion: 8,
  flexibleFrom: 6,
  request: struct(
    field("groupId", string, "0-7"),
    field(
      "topics",
      nullable(array(struct(field("name", string, "0-7"), field("partitionIndexes", array(int32), "0-7"))), "2-7"),
      "0-7",
    ),
    field(
      "groups",
      array(
        struct(
          field("groupId", string, "8+"),
          field(
            "topics",
            nullable(array(struct(field("name", string, "8+"), field("partitionIndexes", array(int32), "8+"))), "8+"),
            "8+",
          ),
        ),
      ),
      "8+",
    ),
    field("requireStable", bool, "7+"),
  ),
  response: struct(
    field("throttleTimeMs", int32, "3+"),
    field(
      "topics",
      array(struct(field("name", string, "0-7"), field("partitions", array(partitionAnswer), "0-7"))),
      "0-7",
    ),
    field("errorCode", int16, "2-7"),
    field(
      "groups",
      array(
        struct(
          field("groupId", string, "8+"),
          field(
            "topics",
            array(struct(field("name", string, "8+"), field("partitions", array(partitionAnswer), "8+"))),
            "8+",
          ),
          field("errorCode", int16, "8+"),
        ),
      ),
      "8+",
    ),
  ),
});
