import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32 } from "../support/wire.ts";

describeApi({
  api: "DeleteTopics",
  request: { topicNames: ["orders", "payments"], timeoutMs: 5000 },
  // DeleteTopics Request (Version: 0-5) => [topic_names] timeout_ms TAG_BUFFER(4+)
  requestLayout: (_v, d) => cat(d.arr(["orders", "payments"], d.str), i32(5000), d.tags()),
  response: {
    throttleTimeMs: 2,
    responses: [
      { name: "orders", errorCode: 0, errorMessage: null },
      { name: "payments", errorCode: 3, errorMessage: "unknown topic" },
    ],
  },
  // DeleteTopics Response (Version: 0-5) => throttle_time_ms(1+) [responses] TAG_BUFFER(4+)
  //   responses => name error_code error_message(5+)
  responseLayout: (v, d) =>
    cat(
      v >= 1 ? i32(2) : [],
      d.arr(
        [
          ["orders", 0, null],
          ["payments", 3, "unknown topic"],
        ] as const,
        ([name, code, message]) => cat(d.str(name), i16(code), v >= 5 ? d.nstr(message) : [], d.tags()),
      ),
      d.tags(),
    ),
  kafkajs: {
    0: () => kafkajsRequest("deleteTopics", 0)({ topics: ["orders", "payments"], timeout: 5000 }),
    1: () => kafkajsRequest("deleteTopics", 1)({ topics: ["orders", "payments"], timeout: 5000 }),
  },
});
