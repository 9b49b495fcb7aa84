import { defineApi } from "../api.ts";
import { array, bool, field, int16, int32, int8, nullable, string, struct } from "../schema.ts";

/**
 * AlterConfigs (key 33), v0–v2: every version of Kafka 3.x; v2 is the first flexible one.
 * Replaces a resource's whole set of dynamic configs (what is not named is unset); KIP-339
 * deprecated it for IncrementalAlterConfigs, which clients prefer where offered.
 */
export const AlterConfigs = defineApi({
  key: 33,
  name: "AlterConfigs",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: struct(
    field(
      "resources",
      array(
        struct(
          field("resourceType", int8, "0+"),
          field("resourceName", string, "0+"),
          field("configs", array(struct(field("name", string, "0+"), field("value", nullable(string), "0+"))), "0+"),
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
