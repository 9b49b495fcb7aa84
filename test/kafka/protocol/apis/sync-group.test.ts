import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32 } from "../support/wire.ts";

const ASSIGNMENT = Uint8Array.of(0, 1, 0, 0, 0, 1, 0, 6, 111, 114, 100, 101, 114, 115, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);

describeApi({
  api: "SyncGroup",
  request: {
    groupId: "group-a",
    generationId: 3,
    memberId: "m-1",
    groupInstanceId: "instance-1",
    protocolType: "consumer",
    protocolName: "range",
    assignments: [{ memberId: "m-1", assignment: ASSIGNMENT }],
  },
  // SyncGroup Request (Version: 0-5) => group_id generation_id member_id group_instance_id(3+)
  //   protocol_type(5+) protocol_name(5+) [assignments] TAG_BUFFER(4+); assignments => member_id assignment
  requestLayout: (v, d) =>
    cat(
      d.str("group-a"),
      i32(3),
      d.str("m-1"),
      v >= 3 ? d.nstr("instance-1") : [],
      v >= 5 ? cat(d.nstr("consumer"), d.nstr("range")) : [],
      d.arr([0], () => cat(d.str("m-1"), d.bytes(ASSIGNMENT), d.tags())),
      d.tags(),
    ),
  response: { throttleTimeMs: 6, errorCode: 0, protocolType: "consumer", protocolName: "range", assignment: ASSIGNMENT },
  // SyncGroup Response (Version: 0-5) => throttle_time_ms(1+) error_code protocol_type(5+) protocol_name(5+) assignment TAG_BUFFER(4+)
  responseLayout: (v, d) =>
    cat(
      v >= 1 ? i32(6) : [],
      i16(0),
      v >= 5 ? cat(d.nstr("consumer"), d.nstr("range")) : [],
      d.bytes(ASSIGNMENT),
      d.tags(),
    ),
  kafkajs: Object.fromEntries(
    [0, 1, 2, 3].map((v) => [
      v,
      () =>
        kafkajsRequest("syncGroup", v)({
          groupId: "group-a",
          generationId: 3,
          memberId: "m-1",
          groupInstanceId: "instance-1",
          groupAssignment: [{ memberId: "m-1", memberAssignment: Buffer.from(ASSIGNMENT) }],
        }),
    ]),
  ),
});
