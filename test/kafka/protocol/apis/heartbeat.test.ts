import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32 } from "../support/wire.ts";

describeApi({
  api: "Heartbeat",
  request: { groupId: "group-a", generationId: 3, memberId: "m-1", groupInstanceId: "instance-1" },
  // Heartbeat Request (Version: 0-4) => group_id generation_id member_id group_instance_id(3+) TAG_BUFFER(4)
  requestLayout: (v, d) =>
    cat(d.str("group-a"), i32(3), d.str("m-1"), v >= 3 ? d.nstr("instance-1") : [], d.tags()),
  response: { throttleTimeMs: 8, errorCode: 27 },
  // Heartbeat Response (Version: 0-4) => throttle_time_ms(1+) error_code TAG_BUFFER(4)
  responseLayout: (v, d) => cat(v >= 1 ? i32(8) : [], i16(27), d.tags()),
  kafkajs: Object.fromEntries(
    [0, 1, 2, 3].map((v) => [
      v,
      () =>
        kafkajsRequest("heartbeat", v)({
          groupId: "group-a",
          groupGenerationId: 3,
          memberId: "m-1",
          groupInstanceId: "instance-1",
        }),
    ]),
  ),
});
