import { defineApi } from "../api.ts";
import { array, bool, bytes, field, int16, int32, nullable, string, struct } from "../schema.ts";

/**
 * DescribeGroups (key 15), v0–v5: every version of Kafka 3.x. v3 adds authorized
 * operations, v4 the group instance id, v5 is the first flexible version.
 */
export const DescribeGroups = defineApi({
  key: 15,
  name: "DescribeGroups",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 5,
  request: struct(field("groups", array(string), "0+"), field("includeAuthorizedOperations", bool, "3+")),
  response: struct(
    field("throttleTimeMs", int32, "1+"),
    field(
      "groups",
      array(
        struct(
          field("errorCode", int16, "0+"),
          field("groupId", string, "0+"),
          field("groupState", string, "0+"),
          field("protocolType", string, "0+"),
          field("protocolData", string, "0+"),
          field(
            "members",
            array(
              struct(
                field("memberId", string, "0+"),
                field("groupInstanceId", nullable(string), "4+"),
                field("clientId", string, "0+"),
                field("clientHost", string, "0+"),
                field("memberMetadata", bytes, "0+"),
                field("memberAssignment", bytes, "0+"),
              ),
            ),
            "0+",
          ),
          field("authorizedOperations", int32, "3+", { default: -2147483648 }),
        ),
      ),
      "0+",
    ),
  ),
});
