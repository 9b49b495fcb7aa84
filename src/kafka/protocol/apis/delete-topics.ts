import { defineApi } from "../api.ts";
import { array, field, int16, int32, nullable, string, struct } from "../schema.ts";

/**
 * DeleteTopics (key 20), v0–v5. v4 is the first flexible version and v5 adds an error
 * message per topic. v6 deletes by topic id (KIP-516), which StreamNest's core does not
 * keep, so the range ends at v5.
 */
export const DeleteTopics = defineApi({
  key: 20,
  name: "DeleteTopics",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 4,
  request: struct(field("topicNames", array(string), "0-5"), field("timeoutMs", int32, "0+")),
  response: struct(
    field("throttleTimeMs", int32, "1+"),
    field(
      "responses",
      array(
        struct(
          field("name", string, "0+"),
          field("errorCode", int16, "0+"),
          field("errorMessage", nullable(string), "5+"),
        ),
      ),
      "0+",
    ),
  ),
});
