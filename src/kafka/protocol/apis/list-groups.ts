import { defineApi } from "../api.ts";
import { array, field, int16, int32, string, struct } from "../schema.ts";

/**
 * ListGroups (key 16), v0–v4. v3 is the first flexible version, v4 filters by state. v5
 * filters by group type (KIP-848), and StreamNest has one type, the classic one.
 */
export const ListGroups = defineApi({
  key: 16,
  name: "ListGroups",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: struct(field("statesFilter", array(string), "4+")),
  response: struct(
    field("throttleTimeMs", int32, "1+"),
    field("errorCode", int16, "0+"),
    field(
      "groups",
      array(
        struct(field("groupId", string, "0+"), field("protocolType", string, "0+"), field("groupState", string, "4+")),
      ),
      "0+",
    ),
  ),
});
