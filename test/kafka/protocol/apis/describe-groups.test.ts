import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { bool, cat, i16, i32 } from "../support/wire.ts";

const META = Uint8Array.of(0, 1, 2);
const ASSIGNMENT = Uint8Array.of(3, 4);

describeApi({
  api: "DescribeGroups",
  request: { groups: ["group-a", "group-b"], includeAuthorizedOperations: true },
  // DescribeGroups Request (Version: 0-5) => [groups] include_authorized_operations(3+) TAG_BUFFER(5)
  requestLayout: (v, d) => cat(d.arr(["group-a", "group-b"], d.str), v >= 3 ? bool(true) : [], d.tags()),
  response: {
    throttleTimeMs: 0,
    groups: [
      {
        errorCode: 0,
        groupId: "group-a",
        groupState: "Stable",
        protocolType: "consumer",
        protocolData: "range",
        members: [
          {
            memberId: "m-1",
            groupInstanceId: "instance-1",
            clientId: "client-1",
            clientHost: "/127.0.0.1",
            memberMetadata: META,
            memberAssignment: ASSIGNMENT,
          },
        ],
        authorizedOperations: 8,
      },
    ],
  },
  // DescribeGroups Response (Version: 0-5) => throttle_time_ms(1+) [groups] TAG_BUFFER(5)
  //   groups => error_code group_id group_state protocol_type protocol_data [members] authorized_operations(3+)
  //   members => member_id group_instance_id(4+) client_id client_host member_metadata member_assignment
  responseLayout: (v, d) =>
    cat(
      v >= 1 ? i32(0) : [],
      d.arr([0], () =>
        cat(
          i16(0),
          d.str("group-a"),
          d.str("Stable"),
          d.str("consumer"),
          d.str("range"),
          d.arr([0], () =>
            cat(
              d.str("m-1"),
              v >= 4 ? d.nstr("instance-1") : [],
              d.str("client-1"),
              d.str("/127.0.0.1"),
              d.bytes(META),
              d.bytes(ASSIGNMENT),
              d.tags(),
            ),
          ),
          v >= 3 ? i32(8) : [],
          d.tags(),
        ),
      ),
      d.tags(),
    ),
  kafkajs: Object.fromEntries(
    [0, 1, 2].map((v) => [v, () => kafkajsRequest("describeGroups", v)({ groupIds: ["group-a", "group-b"] })]),
  ),
});
