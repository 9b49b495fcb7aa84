import { encodeRecordBatch } from "../../../../src/kafka/protocol/record-batch.ts";
import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32, i64, i8 } from "../support/wire.ts";

const BATCH = encodeRecordBatch({
  baseOffset: 10n,
  partitionLeaderEpoch: 3,
  records: [{ key: null, value: new TextEncoder().encode("v"), timestamp: 1_700_000_000_000n }],
});

describeApi({
  api: "Fetch",
  request: {
    clusterId: "sn-cluster",
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: "orders",
        partitions: [
          { partition: 0, currentLeaderEpoch: 3, fetchOffset: 42n, lastFetchedEpoch: 2, logStartOffset: -1n, partitionMaxBytes: 1048576 },
        ],
      },
    ],
    forgottenTopicsData: [{ topic: "old", partitions: [1, 2] }],
    rackId: "rack-a",
  },
  // Fetch Request (Version: 4-12) => replica_id max_wait_ms min_bytes max_bytes isolation_level
  //   session_id(7+) session_epoch(7+) [topics] [forgotten_topics_data](7+) rack_id(11+) TAG_BUFFER(12)
  //   topics => topic [partitions]
  //   partitions => partition current_leader_epoch(9+) fetch_offset last_fetched_epoch(12+)
  //     log_start_offset(5+) partition_max_bytes
  //   forgotten_topics_data => topic [partitions]
  //   tagged (12): 0 cluster_id
  requestLayout: (v, d) =>
    cat(
      i32(-1),
      i32(500),
      i32(1),
      i32(52428800),
      i8(1),
      v >= 7 ? cat(i32(0), i32(-1)) : [],
      d.arr([0], () =>
        cat(
          d.str("orders"),
          d.arr([0], () =>
            cat(
              i32(0),
              v >= 9 ? i32(3) : [],
              i64(42n),
              v >= 12 ? i32(2) : [],
              v >= 5 ? i64(-1n) : [],
              i32(1048576),
              d.tags(),
            ),
          ),
          d.tags(),
        ),
      ),
      v >= 7 ? d.arr([0], () => cat(d.str("old"), d.arr([1, 2], i32), d.tags())) : [],
      v >= 11 ? d.str("rack-a") : [],
      d.tags([0, d.nstr("sn-cluster")]),
    ),
  response: {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: "orders",
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 11n,
            lastStableOffset: 11n,
            logStartOffset: 0n,
            currentLeader: { leaderId: 1, leaderEpoch: 3 },
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: BATCH,
          },
        ],
      },
    ],
  },
  // Fetch Response (Version: 4-12) => throttle_time_ms error_code(7+) session_id(7+) [responses] TAG_BUFFER(12)
  //   responses => topic [partitions]
  //   partitions => partition_index error_code high_watermark last_stable_offset log_start_offset(5+)
  //     [aborted_transactions] preferred_read_replica(11+) records
  //   tagged (12): 0 diverging_epoch, 1 current_leader (leader_id leader_epoch), 2 snapshot_id;
  //   only current_leader differs from its default here, so only tag 1 is sent.
  responseLayout: (v, d) =>
    cat(
      i32(0),
      v >= 7 ? cat(i16(0), i32(0)) : [],
      d.arr([0], () =>
        cat(
          d.str("orders"),
          d.arr([0], () =>
            cat(
              i32(0),
              i16(0),
              i64(11n),
              i64(11n),
              v >= 5 ? i64(0n) : [],
              d.narr(null, () => new Uint8Array(0)),
              v >= 11 ? i32(-1) : [],
              d.nbytes(BATCH),
              d.tags([1, cat(i32(1), i32(3), d.tags())]),
            ),
          ),
          d.tags(),
        ),
      ),
      d.tags(),
    ),
  kafkajs: Object.fromEntries(
    [4, 5, 6, 7, 8, 9, 10, 11].map((v) => [
      v,
      () =>
        kafkajsRequest("fetch", v)({
          replicaId: -1,
          maxWaitTime: 500,
          minBytes: 1,
          maxBytes: 52428800,
          isolationLevel: 1,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: "orders",
              partitions: [{ partition: 0, currentLeaderEpoch: 3, fetchOffset: "42", logStartOffset: "-1", maxBytes: 1048576 }],
            },
          ],
          forgottenTopics: [{ topic: "old", partitions: [1, 2] }],
          rackId: "rack-a",
        }),
    ]),
  ),
});
