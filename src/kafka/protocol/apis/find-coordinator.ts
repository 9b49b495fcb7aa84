import { defineApi } from "../api.ts";
import { array, field, int16, int32, int8, nullable, string, struct } from "../schema.ts";

/**
 * FindCoordinator (key 10), v0–v4. v3 is the first flexible version and v4 (KIP-699)
 * looks up several keys at once. v5 and v6 only add error codes for transactions and
 * share groups (KIP-890, KIP-932), both out of scope.
 */
export const FindCoordinator = defineApi({
  key: 10,
  name: "FindCoordinator",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: struct(
    field("key", string, "0-3"),
    // 0 = group, 1 = transaction.
    field("keyType", int8, "1+"),
    field("coordinatorKeys", array(string), "4+"),
  ),
  response: struct(
    field("throttleTimeMs", int32, "1+"),
    field("errorCode", int16, "0-3"),
    field("errorMessage", nullable(string), "1-3"),
    field("nodeId", int32, "0-3"),
    field("host", string, "0-3"),
    field("port", int32, "0-3"),
    field(
      "coordinators",
      array(
        struct(
          field("key", string, "4+"),
          field("nodeId", int32, "4+"),
          field("host", string, "4+"),
          field("port", int32, "4+"),
          field("errorCode", int16, "4+"),
          field("errorMessage", nullable(string), "4+"),
        ),
      ),
      "4+",
    ),
  ),
});
