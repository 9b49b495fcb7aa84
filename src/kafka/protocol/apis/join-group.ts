import { defineApi } from "../api.ts";
import { array, bool, bytes, field, int16, int32, nullable, string, struct } from "../schema.ts";

/**
 * JoinGroup (key 11), v0–v9: every version of Kafka 3.x for the classic group protocol.
 * v5 adds static membership (group instance id), v6 is the first flexible version, v8
 * adds a reason, v9 the leader's skip-assignment flag (always false from StreamNest: the
 * broker never assigns; the leader client does).
 */
export const JoinGroup = defineApi({
  key: 11,
  name: "JoinGroup",
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 6,
  request: struct(
    field("groupId", string, "0+"),
    field("sessionTimeoutMs", int32, "0+"),
    field("rebalanceTimeoutMs", int32, "1+", { default: -1 }),
    field("memberId", string, "0+"),
    field("groupInstanceId", nullable(string), "5+"),
    field("protocolType", string, "0+"),
    field("protocols", array(struct(field("name", string, "0+"), field("metadata", bytes, "0+"))), "0+"),
    field("reason", nullable(string), "8+"),
  ),
  response: struct(
    field("throttleTimeMs", int32, "2+"),
    field("errorCode", int16, "0+"),
    field("generationId", int32, "0+", { default: -1 }),
    field("protocolType", nullable(string), "7+"),
    field("protocolName", nullable(string, "7+"), "0+"),
    field("leader", string, "0+"),
    field("skipAssignment", bool, "9+"),
    field("memberId", string, "0+"),
    field(
      "members",
      array(
        struct(
          field("memberId", string, "0+"),
          field("groupInstanceId", nullable(string), "5+"),
          field("metadata", bytes, "0+"),
        ),
      ),
      "0+",
    ),
  ),
});
