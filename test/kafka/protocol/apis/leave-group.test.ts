import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32 } from "../support/wire.ts";

describeApi({
  api: "LeaveGroup",
  request: {
    groupId: "group-a",
    memberId: "m-1",
    members: [{ memberId: "m-1", groupInstanceId: null, reason: "shutting down" }],
  },
  // LeaveGroup Request (Version: 0-2) => group_id member_id
  //   (Version: 3-5) => group_id [members] TAG_BUFFER(4+); members => member_id group_instance_id reason(5+)
  requestLayout: (v, d) =>
    v <= 2
      ? cat(d.str("group-a"), d.str("m-1"))
      : cat(
          d.str("group-a"),
          d.arr([0], () => cat(d.str("m-1"), d.nstr(null), v >= 5 ? d.nstr("shutting down") : [], d.tags())),
          d.tags(),
        ),
  response: {
    throttleTimeMs: 1,
    errorCode: 0,
    members: [{ memberId: "m-1", groupInstanceId: null, errorCode: 25 }],
  },
  // LeaveGroup Response (Version: 0-5) => throttle_time_ms(1+) error_code [members](3+) TAG_BUFFER(4+)
  //   members => member_id group_instance_id error_code
  responseLayout: (v, d) =>
    cat(
      v >= 1 ? i32(1) : [],
      i16(0),
      v >= 3 ? d.arr([0], () => cat(d.str("m-1"), d.nstr(null), i16(25), d.tags())) : [],
      d.tags(),
    ),
  kafkajs: {
    0: () => kafkajsRequest("leaveGroup", 0)({ groupId: "group-a", memberId: "m-1" }),
    1: () => kafkajsRequest("leaveGroup", 1)({ groupId: "group-a", memberId: "m-1" }),
    2: () => kafkajsRequest("leaveGroup", 2)({ groupId: "group-a", memberId: "m-1" }),
    3: () => kafkajsRequest("leaveGroup", 3)({ groupId: "group-a", members: [{ memberId: "m-1" }] }),
  },
});
