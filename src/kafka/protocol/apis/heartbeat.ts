import { defineApi } from "../api.ts";
import { field, int16, int32, nullable, string, struct } from "../schema.ts";

/** Heartbeat (key 12), v0–v4: every version of Kafka 3.x; v4 is the first flexible one. */
export const Heartbeat = defineApi({
  key: 12,
  name: "Heartbeat",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
  request: struct(
    field("groupId", string, "0+"),
    field("generationId", int32, "0+"),
    field("memberId", string, "0+"),
    field("groupInstanceId", nullable(string), "3+"),
  ),
  response: struct(field("throttleTimeMs", int32, "1+"), field("errorCode", int16, "0+")),
});
