import { defineApi } from "../api.ts";
import { array, field, int16, int32, nullable, string, struct } from "../schema.ts";

/**
 * LeaveGroup (key 13), v0–v5: every version of Kafka 3.x. v3 (KIP-345) makes it a batch
 * of members, v4 is the first flexible version, v5 adds a reason per member.
 */
export const LeaveGroup = defineApi({
  key: 13,
  name: "LeaveGroup",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 4,
  request: struct(
    field("groupId", string, "0+"),
    field("memberId", string, "0-2"),
    field(
      "members",
      array(
        struct(
          field("memberId", string, "3+"),
          field("groupInstanceId", nullable(string), "3+"),
          field("reason", nullable(string), "5+"),
        ),
      ),
      "3+",
    ),
  ),
  response: struct(
    field("throttleTimeMs", int32, "1+"),
    field("errorCode", int16, "0+"),
    field(
      "members",
      array(
        struct(
          field("memberId", string, "3+"),
          field("groupInstanceId", nullable(string), "3+"),
          field("errorCode", int16, "3+"),
        ),
      ),
      "3+",
    ),
  ),
});
