import { encodeRecordBatch } from "../../../../src/kafka/protocol/record-batch.ts";
import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32, i64 } from "../support/wire.ts";

const enc = new TextEncoder();
const TIMESTAMP = 1_700_000_000_000;
// kafkajs stamps a batch with leader epoch 0, producer epoch 0 and first sequence 0 when
// the producer is not idempotent; the same batch is built here with StreamNest's encoder.
const BATCH = encodeRecordBatch({
  partitionLeaderEpoch: 0,
  producerId: -1n,
  producerEpoch: 0,
  baseSequence: 0,
  records: [
    { key: enc.encode("k1"), value: enc.encode("hello"), timestamp: BigInt(TIMESTAMP), headers: [{ key: "h", value: enc.encode("v") }] },
    { key: null, value: enc.encode("world"), timestamp: BigInt(TIMESTAMP + 5) },
  ],
});

describeApi({
  api: "Produce",
  request: {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: "orders", partitionData: [{ index: 2, records: BATCH }] }],
  },
  // Produce Request (Version: 3-9) => transactional_id acks timeout_ms [topic_data] TAG_BUFFER(9)
  //   topic_data => name [partition_data]; partition_data => index records
  requestLayout: (_v, d) =>
    cat(
      d.nstr(null),
      i16(-1),
      i32(30000),
      d.arr([0], () => cat(d.str("orders"), d.arr([0], () => cat(i32(2), d.nbytes(BATCH), d.tags())), d.tags())),
      d.tags(),
    ),
  response: {
    responses: [
      {
        name: "orders",
        partitionResponses: [
          {
            index: 2,
            errorCode: 87,
            baseOffset: 100n,
            logAppendTimeMs: -1n,
            logStartOffset: 7n,
            recordErrors: [{ batchIndex: 1, batchIndexErrorMessage: "value is not valid JSON" }],
            errorMessage: "schema violation",
          },
        ],
      },
    ],
    throttleTimeMs: 3,
  },
  // Produce Response (Version: 3-9) => [responses] throttle_time_ms TAG_BUFFER(9)
  //   responses => name [partition_responses]
  //   partition_responses => index error_code base_offset log_append_time_ms log_start_offset(5+)
  //     [record_errors](8+) error_message(8+); record_errors => batch_index batch_index_error_message
  responseLayout: (v, d) =>
    cat(
      d.arr([0], () =>
        cat(
          d.str("orders"),
          d.arr([0], () =>
            cat(
              i32(2),
              i16(87),
              i64(100n),
              i64(-1n),
              v >= 5 ? i64(7n) : [],
              v >= 8 ? d.arr([0], () => cat(i32(1), d.nstr("value is not valid JSON"), d.tags())) : [],
              v >= 8 ? d.nstr("schema violation") : [],
              d.tags(),
            ),
          ),
          d.tags(),
        ),
      ),
      i32(3),
      d.tags(),
    ),
  kafkajs: Object.fromEntries(
    [3, 4, 5, 6, 7].map((v) => [
      v,
      () =>
        kafkajsRequest("produce", v)({
          acks: -1,
          timeout: 30000,
          topicData: [
            {
              topic: "orders",
              partitions: [
                {
                  partition: 2,
                  messages: [
                    { key: Buffer.from("k1"), value: Buffer.from("hello"), timestamp: TIMESTAMP, headers: { h: Buffer.from("v") } },
                    { key: null, value: Buffer.from("world"), timestamp: TIMESTAMP + 5 },
                  ],
                },
              ],
            },
          ],
        }),
    ]),
  ),
});
