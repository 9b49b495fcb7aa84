import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32, i8 } from "../support/wire.ts";

describeApi({
  api: "FindCoordinator",
  request: { key: "group-a", keyType: 0, coordinatorKeys: ["group-a", "group-b"] },
  // FindCoordinator Request (Version: 0-4) => key(0-3) key_type(1+) [coordinator_keys](4+) TAG_BUFFER(3+)
  requestLayout: (v, d) =>
    cat(v <= 3 ? d.str("group-a") : [], v >= 1 ? i8(0) : [], v >= 4 ? d.arr(["group-a", "group-b"], d.str) : [], d.tags()),
  response: {
    throttleTimeMs: 4,
    errorCode: 0,
    errorMessage: null,
    nodeId: 2,
    host: "127.0.0.1",
    port: 9093,
    coordinators: [
      { key: "group-a", nodeId: 2, host: "127.0.0.1", port: 9093, errorCode: 0, errorMessage: null },
      { key: "group-b", nodeId: -1, host: "", port: -1, errorCode: 15, errorMessage: "coordinator not available" },
    ],
  },
  // FindCoordinator Response (Version: 0-3) => throttle_time_ms(1+) error_code error_message(1+) node_id host port TAG_BUFFER(3)
  //   (Version: 4) => throttle_time_ms [coordinators] TAG_BUFFER
  //   coordinators => key node_id host port error_code error_message
  responseLayout: (v, d) =>
    v <= 3
      ? cat(v >= 1 ? i32(4) : [], i16(0), v >= 1 ? d.nstr(null) : [], i32(2), d.str("127.0.0.1"), i32(9093), d.tags())
      : cat(
          i32(4),
          d.arr(
            [
              ["group-a", 2, "127.0.0.1", 9093, 0, null],
              ["group-b", -1, "", -1, 15, "coordinator not available"],
            ] as const,
            ([key, node, host, port, code, message]) =>
              cat(d.str(key), i32(node), d.str(host), i32(port), i16(code), d.nstr(message), d.tags()),
          ),
          d.tags(),
        ),
  kafkajs: {
    0: () => kafkajsRequest("findCoordinator", 0)({ groupId: "group-a" }),
    1: () => kafkajsRequest("findCoordinator", 1)({ coordinatorKey: "group-a", coordinatorType: 0 }),
    2: () => kafkajsRequest("findCoordinator", 2)({ coordinatorKey: "group-a", coordinatorType: 0 }),
  },
});
