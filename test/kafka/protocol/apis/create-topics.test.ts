import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { bool, cat, i16, i32, i8, uuid } from "../support/wire.ts";

const TOPIC_ID = "fedcba98-7654-3210-fedc-ba9876543210";

describeApi({
  api: "CreateTopics",
  request: {
    topics: [
      {
        name: "orders",
        numPartitions: 3,
        replicationFactor: 2,
        assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
        configs: [
          { name: "retention.ms", value: "60000" },
          { name: "cleanup.policy", value: null },
        ],
      },
    ],
    timeoutMs: 5000,
    validateOnly: true,
  },
  // CreateTopics Request (Version: 0-7) => [topics] timeout_ms validate_only(1+) TAG_BUFFER(5+)
  //   topics => name num_partitions replication_factor [assignments] [configs]
  //   assignments => partition_index [broker_ids]; configs => name value
  requestLayout: (v, d) =>
    cat(
      d.arr([0], () =>
        cat(
          d.str("orders"),
          i32(3),
          i16(2),
          d.arr([0], () => cat(i32(0), d.arr([1, 2], i32), d.tags())),
          d.arr(
            [
              ["retention.ms", "60000"],
              ["cleanup.policy", null],
            ] as const,
            ([name, value]) => cat(d.str(name), d.nstr(value), d.tags()),
          ),
          d.tags(),
        ),
      ),
      i32(5000),
      v >= 1 ? bool(true) : [],
      d.tags(),
    ),
  response: {
    throttleTimeMs: 1,
    topics: [
      {
        name: "orders",
        topicId: TOPIC_ID,
        errorCode: 36,
        errorMessage: "Topic 'orders' already exists.",
        topicConfigErrorCode: 40,
        numPartitions: 3,
        replicationFactor: 2,
        configs: [{ name: "retention.ms", value: "60000", readOnly: false, configSource: 1, isSensitive: false }],
      },
    ],
  },
  // CreateTopics Response (Version: 0-7) => throttle_time_ms(2+) [topics] TAG_BUFFER(5+)
  //   topics => name topic_id(7+) error_code error_message(1+) num_partitions(5+)
  //     replication_factor(5+) [configs](5+); tagged (5+): 0 topic_config_error_code
  //   configs => name value read_only config_source is_sensitive
  responseLayout: (v, d) =>
    cat(
      v >= 2 ? i32(1) : [],
      d.arr([0], () =>
        cat(
          d.str("orders"),
          v >= 7 ? uuid(TOPIC_ID) : [],
          i16(36),
          v >= 1 ? d.nstr("Topic 'orders' already exists.") : [],
          v >= 5
            ? cat(
                i32(3),
                i16(2),
                d.narr([0], () => cat(d.str("retention.ms"), d.nstr("60000"), bool(false), i8(1), bool(false), d.tags())),
              )
            : [],
          d.tags([0, i16(40)]),
        ),
      ),
      d.tags(),
    ),
  kafkajs: Object.fromEntries(
    [0, 1, 2, 3].map((v) => [
      v,
      () =>
        kafkajsRequest("createTopics", v)({
          topics: [
            {
              topic: "orders",
              numPartitions: 3,
              replicationFactor: 2,
              replicaAssignment: [{ partition: 0, replicas: [1, 2] }],
              configEntries: [
                { name: "retention.ms", value: "60000" },
                { name: "cleanup.policy", value: null },
              ],
            },
          ],
          timeout: 5000,
          validateOnly: true,
        }),
    ]),
  ),
});
