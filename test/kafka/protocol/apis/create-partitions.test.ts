import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { bool, cat, i16, i32 } from "../support/wire.ts";

describeApi({
  api: "CreatePartitions",
  request: {
    topics: [{ name: "orders", count: 6, assignments: [{ brokerIds: [1, 2] }, { brokerIds: [2, 3] }] }],
    timeoutMs: 5000,
    validateOnly: false,
  },
  // CreatePartitions Request (Version: 0-3) => [topics] timeout_ms validate_only TAG_BUFFER(2+)
  //   topics => name count [assignments] (nullable); assignments => [broker_ids]
  requestLayout: (_v, d) =>
    cat(
      d.arr([0], () =>
        cat(
          d.str("orders"),
          i32(6),
          d.narr(
            [
              [1, 2],
              [2, 3],
            ],
            (ids) => cat(d.arr(ids, i32), d.tags()),
          ),
          d.tags(),
        ),
      ),
      i32(5000),
      bool(false),
      d.tags(),
    ),
  response: {
    throttleTimeMs: 0,
    results: [{ name: "orders", errorCode: 37, errorMessage: "cannot shrink" }],
  },
  // CreatePartitions Response (Version: 0-3) => throttle_time_ms [results] TAG_BUFFER(2+)
  //   results => name error_code error_message
  responseLayout: (_v, d) =>
    cat(i32(0), d.arr([0], () => cat(d.str("orders"), i16(37), d.nstr("cannot shrink"), d.tags())), d.tags()),
  kafkajs: Object.fromEntries(
    [0, 1].map((v) => [
      v,
      () =>
        kafkajsRequest("createPartitions", v)({
          topicPartitions: [{ topic: "orders", count: 6, assignments: [[1, 2], [2, 3]] }],
          timeout: 5000,
          validateOnly: false,
        }),
    ]),
  ),
});
