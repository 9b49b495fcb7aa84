import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32, i64, i8 } from "../support/wire.ts";

describeApi({
  api: "ListOffsets",
  request: {
    replicaId: -1,
    isolationLevel: 1,
    topics: [{ name: "orders", partitions: [{ partitionIndex: 3, currentLeaderEpoch: 5, timestamp: -2n, maxNumOffsets: 1 }] }],
  },
  // ListOffsets Request (Version: 0-7) => replica_id isolation_level(2+) [topics] TAG_BUFFER(6+)
  //   topics => name [partitions]
  //   partitions => partition_index current_leader_epoch(4+) timestamp max_num_offsets(0)
  requestLayout: (v, d) =>
    cat(
      i32(-1),
      v >= 2 ? i8(1) : [],
      d.arr([0], () =>
        cat(
          d.str("orders"),
          d.arr([0], () => cat(i32(3), v >= 4 ? i32(5) : [], i64(-2n), v === 0 ? i32(1) : [], d.tags())),
          d.tags(),
        ),
      ),
      d.tags(),
    ),
  response: {
    throttleTimeMs: 9,
    topics: [
      {
        name: "orders",
        partitions: [{ partitionIndex: 3, errorCode: 0, oldStyleOffsets: [77n], timestamp: 1_700_000_000_000n, offset: 77n, leaderEpoch: 5 }],
      },
    ],
  },
  // ListOffsets Response (Version: 0-7) => throttle_time_ms(2+) [topics] TAG_BUFFER(6+)
  //   topics => name [partitions]
  //   partitions => partition_index error_code [old_style_offsets](0) timestamp(1+) offset(1+) leader_epoch(4+)
  responseLayout: (v, d) =>
    cat(
      v >= 2 ? i32(9) : [],
      d.arr([0], () =>
        cat(
          d.str("orders"),
          d.arr([0], () =>
            cat(
              i32(3),
              i16(0),
              v === 0 ? d.arr([77n], i64) : [],
              v >= 1 ? cat(i64(1_700_000_000_000n), i64(77n)) : [],
              v >= 4 ? i32(5) : [],
              d.tags(),
            ),
          ),
          d.tags(),
        ),
      ),
      d.tags(),
    ),
  kafkajs: {
    0: () =>
      kafkajsRequest("listOffsets", 0)({
        replicaId: -1,
        topics: [{ topic: "orders", partitions: [{ partition: 3, timestamp: "-2", maxNumOffsets: 1 }] }],
      }),
    1: () =>
      kafkajsRequest("listOffsets", 1)({ replicaId: -1, topics: [{ topic: "orders", partitions: [{ partition: 3, timestamp: "-2" }] }] }),
    2: () =>
      kafkajsRequest("listOffsets", 2)({
        replicaId: -1,
        isolationLevel: 1,
        topics: [{ topic: "orders", partitions: [{ partition: 3, timestamp: "-2" }] }],
      }),
    3: () =>
      kafkajsRequest("listOffsets", 3)({
        replicaId: -1,
        isolationLevel: 1,
        topics: [{ topic: "orders", partitions: [{ partition: 3, timestamp: "-2" }] }],
      }),
  },
});
