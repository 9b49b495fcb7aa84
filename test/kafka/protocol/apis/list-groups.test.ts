import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32 } from "../support/wire.ts";

describeApi({
  api: "ListGroups",
  request: { statesFilter: ["Stable", "Empty"] },
  // ListGroups Request (Version: 0-2) => (empty); (3) => TAG_BUFFER; (4) => [states_filter] TAG_BUFFER
  requestLayout: (v, d) => cat(v >= 4 ? d.arr(["Stable", "Empty"], d.str) : [], d.tags()),
  response: {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: [{ groupId: "group-a", protocolType: "consumer", groupState: "Stable" }],
  },
  // ListGroups Response (Version: 0-4) => throttle_time_ms(1+) error_code [groups] TAG_BUFFER(3+)
  //   groups => group_id protocol_type group_state(4+)
  responseLayout: (v, d) =>
    cat(
      v >= 1 ? i32(0) : [],
      i16(0),
      d.arr([0], () => cat(d.str("group-a"), d.str("consumer"), v >= 4 ? d.str("Stable") : [], d.tags())),
      d.tags(),
    ),
  kafkajs: {
    0: () => kafkajsRequest("listGroups", 0)({}),
    1: () => kafkajsRequest("listGroups", 1)({}),
    2: () => kafkajsRequest("listGroups", 2)({}),
  },
});
