import { defineApi } from "../api.ts";
import { array, bool, field, int16, int32, int8, nullable, string, struct } from "../schema.ts";

/**
 * DescribeConfigs (key 32), v0–v4: every version of Kafka 3.x. v1 adds synonyms and the
 * config source, v3 the config type and documentation, v4 is the first flexible version.
 */
export const DescribeConfigs = defineApi({
  key: 32,
  name: "DescribeConfigs",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
  request: struct(
    field(
      "resources",
      array(
        struct(
          field("resourceType", int8, "0+"),
          field("resourceName", string, "0+"),
          field("configurationKeys", nullable(array(string)), "0+"),
        ),
      ),
      "0+",
    ),
    field("includeSynonyms", bool, "1+"),
    field("includeDocumentation", bool, "3+"),
  ),
  response: struct(
    field("throttleTimeMs", int32, "0+"),
    field(
      "results",
      array(
        struct(
          field("errorCode", int16, "0+"),
          field("errorMessage", nullable(string), "0+"),
          field("resourceType", int8, "0+"),
          field("resourceName", string, "0+"),
          field(
            "configs",
            array(
              struct(
                field("name", string, "0+"),
                field("value", nullable(string), "0+"),
                field("readOnly", bool, "0+"),
                field("isDefault", bool, "0"),
                field("configSource", int8, "1+", { default: -1 }),
                field("isSensitive", bool, "0+"),
                field(
                  "synonyms",
                  array(
                    struct(field("name", string, "1+"), field("value", nullable(string), "1+"), field("source", int8, "1+")),
                  ),
                  "1+",
                ),
                field("configType", int8, "3+"),
                field("documentation", nullable(string), "3+"),
              ),
            ),
            "0+",
          ),
        ),
      ),
      "0+",
    ),
  ),
});
