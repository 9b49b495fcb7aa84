import { defineApi } from "../api.ts";
import { array, bool, field, int16, int32, int8, nullable, string, struct } from "../schema.ts";

/**
 * IncrementalAlterConfigs (key 44, KIP-339), v0–v1: every version of Kafka 3.x; v1 is the
 * first flexible one. Each config carries its operation: 0 SET, 1 DELETE, 2 APPEND,
 * 3 SUBTRACT (the last two for list configs).
 */
export const IncrementalAlterConfigs = defineApi({
  key: 44,
  name: "IncrementalAlterConfigs",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  request: struct(
    field(
      "resources",
      array(
        struct(
          field("resourceType", int8, "0+"),
          field("resourceName", string, "0+"),
          field(
            "configs",
            array(struct(field("name", string, "0+"), field("configOperation", int8, "0+"), field("value", nullable(string), "0+"))),
            "0+",
          ),
        ),
      ),
      "0+",
    ),
    field("validateOnly", bool, "0+"),
  ),
  response: struct(
    field("throttleTimeMs", int32, "0+"),
    field(
      "responses",
      array(
        struct(
          field("errorCode", int16, "0+"),
          field("errorMessage", nullable(string), "0+"),
          field("resourceType", int8, "0+"),
          field("resourceName", string, "0+"),
        ),
      ),
      "0+",
    ),
  ),
});
