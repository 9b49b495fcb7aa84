import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32, i64, text } from "../support/wire.ts";

const clientFirst = text("n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL");
const serverFinal = text("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");

describeApi({
  api: "SaslAuthenticate",
  request: { authBytes: clientFirst },
  // SaslAuthenticate Request (Version: 0-2) => auth_bytes TAG_BUFFER(2)
  requestLayout: (_v, d) => cat(d.bytes(clientFirst), d.tags()),
  response: { errorCode: 58, errorMessage: "Authentication failed", authBytes: serverFinal, sessionLifetimeMs: 3_600_000n },
  // SaslAuthenticate Response (Version: 0-2) => error_code error_message auth_bytes session_lifetime_ms(1+) TAG_BUFFER(2)
  responseLayout: (v, d) =>
    cat(i16(58), d.nstr("Authentication failed"), d.bytes(serverFinal), v >= 1 ? i64(3_600_000n) : [], d.tags()),
  // kafkajs's authenticators hand over the token already length-prefixed (their Encoder's writeBytes).
  kafkajs: Object.fromEntries(
    [0, 1].map((v) => [v, () => kafkajsRequest("saslAuthenticate", v)({ authBytes: Buffer.from(cat(i32(clientFirst.length), clientFirst)) })]),
  ),
});
