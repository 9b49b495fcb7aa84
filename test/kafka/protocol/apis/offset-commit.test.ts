import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32, i64 } from "../support/wire.ts";

describeApi({
  api: "OffsetCommit",
  request: {
    groupId: "group-a",
    generationIdOrMemberEpoch: 3,
    memberId: "m-1",
    groupInstanceId: "instance-1",
    retentionTimeMs: -1n,
    topics: [
      {
        name: "orders",
        partitions: [
          { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 2, commitTimestamp: 1_700_000_000_000n, committedMetadata: "meta" },
          { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: 2, commitTimestamp: 1_700_000_000_000n, committedMetadata: null },
        ],
      },
    ],
  },
  // OffsetCommit Request (Version: 0-8) => group_id generation_id_or_member_epoch(1+) member_id(1+)
  //   group_instance_id(7+) retention_time_ms(2-4) [topics] TAG_BUFFER(8)
  //   topics => name [partitions]
  //   partitions => partition_index committed_offset committed_leader_epoch(6+) commit_timestamp(1)
  //     committed_metadata
  requestLayout: (v, d) =>
    cat(
      d.str("group-a"),
      v >= 1 ? cat(i32(3), d.str("m-1")) : [],
      v >= 7 ? d.nstr("instance-1") : [],
      v >= 2 && v <= 4 ? i64(-1n) : [],
      d.arr([0], () =>
        cat(
          d.str("orders"),
          d.arr(
            [
              [0, 42n, "meta"],
              [1, 7n, null],
            ] as const,
            ([index, offset, metadata]) =>
              cat(
                i32(index),
                i64(offset),
                v >= 6 ? i32(2) : [],
                v === 1 ? i64(1_700_000_000_000n) : [],
                d.nstr(metadata),
                d.tags(),
              ),
          ),
          d.tags(),
        ),
      ),
      d.tags(),
    ),
  response: {
    throttleTimeMs: 2,
    topics: [
      {
        name: "orders",
        partitions: [
          { partitionIndex: 0, errorCode: 0 },
          { partitionIndex: 1, errorCode: 22 },
        ],
      },
    ],
  },
  // OffsetCommit Response (Version: 0-8) => throttle_time_ms(3+) [topics] TAG_BUFFER(8)
  //   topics => name [partitions]; partitions => partition_index error_code
  responseLayout: (v, d) =>
    cat(
      v >= 3 ? i32(2) : [],
      d.arr([0], () =>
        cat(
          d.str("orders"),
          d.arr(
            [
              [0, 0],
              [1, 22],
            ] as const,
            ([index, code]) => cat(i32(index), i16(code), d.tags()),
          ),
          d.tags(),
        ),
      ),
      d.tags(),
    ),
  kafkajs: Object.fromEntries(
    [0, 1, 2, 3, 4, 5].map((v) => [
      v,
      () =>
        kafkajsRequest("offsetCommit", v)({
          groupId: "group-a",
          groupGenerationId: 3,
          memberId: "m-1",
          retentionTime: -1,
          topics: [
            {
              topic: "orders",
              partitions: [
                { partition: 0, offset: "42", timestamp: 1_700_000_000_000, metadata: "meta" },
                { partition: 1, offset: "7", timestamp: 1_700_000_000_000, metadata: null },
              ],
            },
          ],
        }),
    ]),
  ),
});
