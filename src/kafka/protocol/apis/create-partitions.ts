import { defineApi } from "../api.ts";
import { array, bool, field, int16, int32, nullable, string, struct } from "../schema.ts";

/** CreatePartitions (key 37), v0–v3: every version of Kafka 3.x; v2 is the first flexible one. */
export const CreatePartitions = defineApi({
  key: 37,
  name: "CreatePartitions",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 2,
  request: struct(
    field(
      "topics",
      array(
        struct(
          field("name", string, "0+"),
          field("count", int32, "0+"),
          field("assignments", nullable(array(struct(field("brokerIds", array(int32), "0+")))), "0+"),
        ),
      ),
      "0+",
    ),
    field("timeoutMs", int32, "0+"),
    field("validateOnly", bool, "0+"),
  ),
  response: struct(
    field("throttleTimeMs", int32, "0+"),
    field(
      "results",
      array(
        struct(
          field("name", string, "0+"),
          field("errorCode", int16, "0+"),
          field("errorMessage", nullable(string), "0+"),
        ),
      ),
      "0+",
    ),
  ),
});
