import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { bool, cat, i16, i32, uuid } from "../support/wire.ts";

const TOPIC_ID = "0123abcd-4567-89ef-0123-456789abcdef";

describeApi({
  api: "Metadata",
  request: {
    topics: [{ topicId: TOPIC_ID, name: "orders" }, { topicId: TOPIC_ID, name: "payments" }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: true,
    includeTopicAuthorizedOperations: true,
  },
  // Metadata Request (Version: 0-12) => [topics] allow_auto_topic_creation(4+)
  //   include_cluster_authorized_operations(8-10) include_topic_authorized_operations(8+)
  //   topics => topic_id(10+) name
  requestLayout: (v, d) =>
    cat(
      d.arr(["orders", "payments"], (name) => cat(v >= 10 ? uuid(TOPIC_ID) : [], d.str(name), d.tags())),
      v >= 4 ? bool(false) : [],
      v >= 8 && v <= 10 ? bool(true) : [],
      v >= 8 ? bool(true) : [],
      d.tags(),
    ),
  response: {
    throttleTimeMs: 7,
    brokers: [
      { nodeId: 1, host: "127.0.0.1", port: 9092, rack: "r1" },
      { nodeId: 2, host: "127.0.0.1", port: 9093, rack: null },
    ],
    clusterId: "sn-cluster",
    controllerId: 2,
    topics: [
      {
        errorCode: 0,
        name: "orders",
        topicId: TOPIC_ID,
        isInternal: false,
        partitions: [
          { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 4, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: [2] },
        ],
        topicAuthorizedOperations: 248,
      },
    ],
    clusterAuthorizedOperations: 16,
  },
  // Metadata Response (Version: 0-12) => throttle_time_ms(3+) [brokers] cluster_id(2+)
  //   controller_id(1+) [topics] cluster_authorized_operations(8-10)
  //   brokers => node_id host port rack(1+)
  //   topics => error_code name topic_id(10+) is_internal(1+) [partitions] topic_authorized_operations(8+)
  //   partitions => error_code partition_index leader_id leader_epoch(7+) [replica_nodes] [isr_nodes] [offline_replicas](5+)
  responseLayout: (v, d) =>
    cat(
      v >= 3 ? i32(7) : [],
      d.arr(
        [
          [1, 9092, "r1"],
          [2, 9093, null],
        ] as const,
        ([id, port, rack]) => cat(i32(id), d.str("127.0.0.1"), i32(port), v >= 1 ? d.nstr(rack) : [], d.tags()),
      ),
      v >= 2 ? d.nstr("sn-cluster") : [],
      v >= 1 ? i32(2) : [],
      d.arr([0], () =>
        cat(
          i16(0),
          d.str("orders"),
          v >= 10 ? uuid(TOPIC_ID) : [],
          v >= 1 ? bool(false) : [],
          d.arr([0], () =>
            cat(
              i16(0),
              i32(0),
              i32(1),
              v >= 7 ? i32(4) : [],
              d.arr([1, 2], i32),
              d.arr([1], i32),
              v >= 5 ? d.arr([2], i32) : [],
              d.tags(),
            ),
          ),
          v >= 8 ? i32(248) : [],
          d.tags(),
        ),
      ),
      v >= 8 && v <= 10 ? i32(16) : [],
      d.tags(),
    ),
  kafkajs: Object.fromEntries(
    [0, 1, 2, 3, 4, 5, 6].map((v) => [
      v,
      () => kafkajsRequest("metadata", v)({ topics: ["orders", "payments"], allowAutoTopicCreation: false }),
    ]),
  ),
});
