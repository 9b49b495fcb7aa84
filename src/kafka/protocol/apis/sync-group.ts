import { defineApi } from "../api.ts";
import { array, bytes, field, int16, int32, nullable, string, struct } from "../schema.ts";

/**
 * SyncGroup (key 14), v0–v5: every version of Kafka 3.x. v3 adds the group instance id,
 * v4 is the first flexible version, v5 echoes the protocol type and name.
 */
export const SyncGroup = defineApi({
  key: 14,
  name: "SyncGroup",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 4,
  request: struct(
    field("groupId", string, "0+"),
    field("generationId", int32, "0+"),
    field("memberId", string, "0+"),
    field("groupInstanceId", nullable(string), "3+"),
    field("protocolType", nullable(string), "5+"),
    field("protocolName", nullable(string), "5+"),
    field("assignments", array(struct(field("memberId", string, "0+"), field("assignment", bytes, "0+"))), "0+"),
  ),
  response: struct(
    field("throttleTimeMs", int32, "1+"),
    field("errorCode", int16, "0+"),
    field("protocolType", nullable(string), "5+"),
    field("protocolName", nullable(string), "5+"),
    field("assignment", bytes, "0+"),
  ),
});
