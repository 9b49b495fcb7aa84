import { defineApi } from "../api.ts";
import { bytes, field, int16, int64, nullable, string, struct } from "../schema.ts";

/**
 * SaslAuthenticate (key 36), v0–v2 (KIP-152): one SASL token each way, with an error code
 * and message so a failed authentication is told to the client rather than shown as a
 * closed socket. v1 adds the session lifetime (KIP-368; 0: no re-authentication asked),
 * v2 is the first flexible version.
 */
export const SaslAuthenticate = defineApi({
  key: 36,
  name: "SaslAuthenticate",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: struct(field("authBytes", bytes, "0+")),
  response: struct(
    field("errorCode", int16, "0+"),
    field("errorMessage", nullable(string), "0+"),
    field("authBytes", bytes, "0+"),
    field("sessionLifetimeMs", int64, "1+"),
  ),
});
