import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { bool, cat, i16, i32, i64 } from "../support/wire.ts";

const answer = { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 2, metadata: "meta", errorCode: 0 };

describeApi({
  api: "OffsetFetch",
  request: {
    groupId: "group-a",
    topics: [{ name: "orders", partitionIndexes: [0, 1] }],
    groups: [{ groupId: "group-a", topics: [{ name: "orders", partitionIndexes: [0, 1] }] }],
    requireStable: true,
  },
  // OffsetFetch Request (Version: 0-7) => group_id [topics] (nullable 2+) require_stable(7+) TAG_BUFFER(6+)
  //   topics => name [partition_indexes]
  //   (Version: 8) => [groups] require_stable TAG_BUFFER; groups => group_id [topics] (nullable)
  requestLayout: (v, d) => {
    const topics = d.narr([0], () => cat(d.str("orders"), d.arr([0, 1], i32), d.tags()));
    return v <= 7
      ? cat(d.str("group-a"), topics, v >= 7 ? bool(true) : [], d.tags())
      : cat(d.arr([0], () => cat(d.str("group-a"), topics, d.tags())), bool(true), d.tags());
  },
  response: {
    throttleTimeMs: 3,
    topics: [{ name: "orders", partitions: [answer] }],
    errorCode: 0,
    groups: [{ groupId: "group-a", topics: [{ name: "orders", partitions: [answer] }], errorCode: 0 }],
  },
  // OffsetFetch Response (Version: 0-7) => throttle_time_ms(3+) [topics] error_code(2+) TAG_BUFFER(6+)
  //   topics => name [partitions]
  //   partitions => partition_index committed_offset committed_leader_epoch(5+) metadata error_code
  //   (Version: 8) => throttle_time_ms [groups] TAG_BUFFER; groups => group_id [topics] error_code
  responseLayout: (v, d) => {
    const topics = d.arr([0], () =>
      cat(
        d.str("orders"),
        d.arr([0], () => cat(i32(0), i64(42n), v >= 5 ? i32(2) : [], d.nstr("meta"), i16(0), d.tags())),
        d.tags(),
      ),
    );
    return v <= 7
      ? cat(v >= 3 ? i32(3) : [], topics, v >= 2 ? i16(0) : [], d.tags())
      : cat(i32(3), d.arr([0], () => cat(d.str("group-a"), topics, i16(0), d.tags())), d.tags());
  },
  kafkajs: Object.fromEntries(
    [1, 2, 3, 4].map((v) => [
      v,
      () =>
        kafkajsRequest("offsetFetch", v)({
          groupId: "group-a",
          topics: [{ topic: "orders", partitions: [{ partition: 0 }, { partition: 1 }] }],
        }),
    ]),
  ),
});
