import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32, i64 } from "../support/wire.ts";

describeApi({
  api: "InitProducerId",
  request: { transactionalId: null, transactionTimeoutMs: 60000, producerId: 1000n, producerEpoch: 2 },
  // InitProducerId Request (Version: 0-4) => transactional_id transaction_timeout_ms producer_id(3+)
  //   producer_epoch(3+) TAG_BUFFER(2+)
  requestLayout: (v, d) => cat(d.nstr(null), i32(60000), v >= 3 ? cat(i64(1000n), i16(2)) : [], d.tags()),
  response: { throttleTimeMs: 0, errorCode: 0, producerId: 1001n, producerEpoch: 0 },
  // InitProducerId Response (Version: 0-4) => throttle_time_ms error_code producer_id producer_epoch TAG_BUFFER(2+)
  responseLayout: (_v, d) => cat(i32(0), i16(0), i64(1001n), i16(0), d.tags()),
  kafkajs: Object.fromEntries(
    [0, 1].map((v) => [v, () => kafkajsRequest("initProducerId", v)({ transactionalId: null, transactionTimeout: 60000 })]),
  ),
});
