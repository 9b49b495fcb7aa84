import { defineApi } from "../api.ts";
import { array, bool, field, int16, int32, int8, nullable, string, struct, uuid } from "../schema.ts";

/**
 * CreateTopics (key 19), v0–v7: every version of Kafka 3.x. v5 is the first flexible
 * version and returns the created topic's partitions, replication factor and configs; v7
 * adds the topic id to the answer (StreamNest may send the zero id).
 */
export const CreateTopics = defineApi({
  key: 19,
  name: "CreateTopics",
  minVersion: 0,
  maxVersion: 7,
  flexibleFrom: 5,
  request: struct(
    field(
      "topics",
      array(
        struct(
          field("name", string, "0+"),
          field("numPartitions", int32, "0+"),
          field("replicationFactor", int16, "0+"),
          field(
            "assignments",
            array(struct(field("partitionIndex", int32, "0+"), field("brokerIds", array(int32), "0+"))),
            "0+",
          ),
          field("configs", array(struct(field("name", string, "0+"), field("value", nullable(string), "0+"))), "0+"),
        ),
      ),
      "0+",
    ),
    field("timeoutMs", int32, "0+"),
    field("validateOnly", bool, "1+"),
  ),
  response: struct(
    field("throttleTimeMs", int32, "2+"),
    field(
      "topics",
      array(
        struct(
          field("name", string, "0+"),
          field("topicId", uuid, "7+"),
          field("errorCode", int16, "0+"),
          field("errorMessage", nullable(string), "1+"),
          field("topicConfigErrorCode", int16, "5+", { tag: 0 }),
          field("numPartitions", int32, "5+", { default: -1 }),
          field("replicationFactor", int16, "5+", { default: -1 }),
          field(
            "configs",
            nullable(
              array(
                struct(
                  field("name", string, "5+"),
                  field("value", nullable(string), "5+"),
                  field("readOnly", bool, "5+"),
                  field("configSource", int8, "5+", { default: -1 }),
                  field("isSensitive", bool, "5+"),
                ),
              ),
            ),
            "5+",
          ),
        ),
      ),
      "0+",
    ),
  ),
});
