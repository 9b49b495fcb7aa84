import { defineApi } from "../api.ts";
import { array, bool, field, int16, int32, nullable, string, struct, uuid } from "../schema.ts";

/**
 * Metadata (key 3), v0–v12: v0 for old clients (kafka-python 2.0.2 starts there), v9 is
 * the first flexible version, v10 adds topic ids to the answer, v12 (Kafka 3.x's newest)
 * lets a request name a topic by id only. v13 (Kafka 4.0) adds a top-level error code for
 * client re-bootstrap, which nothing in StreamNest needs.
 */
export const Metadata = defineApi({
  key: 3,
  name: "Metadata",
  minVersion: 0,
  maxVersion: 12,
  flexibleFrom: 9,
  request: struct(
    // v0: an empty array means every topic; v1+: null means every topic, empty means none.
    field(
      "topics",
      nullable(array(struct(field("topicId", uuid, "10+"), field("name", nullable(string, "10+"), "0+"))), "1+"),
      "0+",
    ),
    field("allowAutoTopicCreation", bool, "4+", { default: true }),
    field("includeClusterAuthorizedOperations", bool, "8-10"),
    field("includeTopicAuthorizedOperations", bool, "8+"),
  ),
  response: struct(
    field("throttleTimeMs", int32, "3+"),
    field(
      "brokers",
      array(
        struct(
          field("nodeId", int32, "0+"),
          field("host", string, "0+"),
          field("port", int32, "0+"),
          field("rack", nullable(string), "1+"),
        ),
      ),
      "0+",
    ),
    field("clusterId", nullable(string), "2+"),
    field("controllerId", int32, "1+", { default: -1 }),
    field(
      "topics",
      array(
        struct(
          field("errorCode", int16, "0+"),
          field("name", nullable(string, "12+"), "0+"),
          field("topicId", uuid, "10+"),
          field("isInternal", bool, "1+"),
          field(
            "partitions",
            array(
              struct(
                field("errorCode", int16, "0+"),
                field("partitionIndex", int32, "0+"),
                field("leaderId", int32, "0+"),
                field("leaderEpoch", int32, "7+", { default: -1 }),
                field("replicaNodes", array(int32), "0+"),
                field("isrNodes", array(int32), "0+"),
                field("offlineReplicas", array(int32), "5+"),
              ),
            ),
            "0+",
          ),
          field("topicAuthorizedOperations", int32, "8+", { default: -2147483648 }),
        ),
      ),
      "0+",
    ),
    field("clusterAuthorizedOperations", int32, "8-10", { default: -2147483648 }),
  ),
});
