import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16 } from "../support/wire.ts";

describeApi({
  api: "SaslHandshake",
  request: { mechanism: "SCRAM-SHA-256" },
  // SaslHandshake Request (Version: 0-1) => mechanism
  requestLayout: (_v, d) => d.str("SCRAM-SHA-256"),
  response: { errorCode: 33, mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] },
  // SaslHandshake Response (Version: 0-1) => error_code [mechanisms]
  responseLayout: (_v, d) => cat(i16(33), d.arr(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"], (m) => d.str(m))),
  kafkajs: Object.fromEntries([0, 1].map((v) => [v, () => kafkajsRequest("saslHandshake", v)({ mechanism: "SCRAM-SHA-256" })])),
});
