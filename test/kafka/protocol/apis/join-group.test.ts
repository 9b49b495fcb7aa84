import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { bool, cat, i16, i32 } from "../support/wire.ts";

const META = Uint8Array.of(0, 1, 0, 0, 0, 1, 0, 6, 111, 114, 100, 101, 114, 115, 0, 0, 0, 0);

describeApi({
  api: "JoinGroup",
  request: {
    groupId: "group-a",
    sessionTimeoutMs: 30000,
    rebalanceTimeoutMs: 60000,
    memberId: "",
    groupInstanceId: "instance-1",
    protocolType: "consumer",
    protocols: [
      { name: "range", metadata: META },
      { name: "roundrobin", metadata: META },
    ],
    reason: "rejoin",
  },
  // JoinGroup Request (Version: 0-9) => group_id session_timeout_ms rebalance_timeout_ms(1+) member_id
  //   group_instance_id(5+) protocol_type [protocols] reason(8+) TAG_BUFFER(6+); protocols => name metadata
  requestLayout: (v, d) =>
    cat(
      d.str("group-a"),
      i32(30000),
      v >= 1 ? i32(60000) : [],
      d.str(""),
      v >= 5 ? d.nstr("instance-1") : [],
      d.str("consumer"),
      d.arr(["range", "roundrobin"], (name) => cat(d.str(name), d.bytes(META), d.tags())),
      v >= 8 ? d.nstr("rejoin") : [],
      d.tags(),
    ),
  response: {
    throttleTimeMs: 0,
    errorCode: 0,
    generationId: 3,
    protocolType: "consumer",
    protocolName: "range",
    leader: "m-1",
    skipAssignment: false,
    memberId: "m-1",
    members: [
      { memberId: "m-1", groupInstanceId: null, metadata: META },
      { memberId: "m-2", groupInstanceId: "instance-2", metadata: META },
    ],
  },
  // JoinGroup Response (Version: 0-9) => throttle_time_ms(2+) error_code generation_id protocol_type(7+)
  //   protocol_name leader skip_assignment(9+) member_id [members] TAG_BUFFER(6+)
  //   members => member_id group_instance_id(5+) metadata
  responseLayout: (v, d) =>
    cat(
      v >= 2 ? i32(0) : [],
      i16(0),
      i32(3),
      v >= 7 ? d.nstr("consumer") : [],
      d.str("range"),
      d.str("m-1"),
      v >= 9 ? bool(false) : [],
      d.str("m-1"),
      d.arr(
        [
          ["m-1", null],
          ["m-2", "instance-2"],
        ] as const,
        ([id, instance]) => cat(d.str(id), v >= 5 ? d.nstr(instance) : [], d.bytes(META), d.tags()),
      ),
      d.tags(),
    ),
  kafkajs: Object.fromEntries(
    [0, 1, 2, 3, 4, 5].map((v) => [
      v,
      () =>
        kafkajsRequest("joinGroup", v)({
          groupId: "group-a",
          sessionTimeout: 30000,
          rebalanceTimeout: 60000,
          memberId: "",
          groupInstanceId: "instance-1",
          protocolType: "consumer",
          groupProtocols: [
            { name: "range", metadata: Buffer.from(META) },
            { name: "roundrobin", metadata: Buffer.from(META) },
          ],
        }),
    ]),
  ),
});
