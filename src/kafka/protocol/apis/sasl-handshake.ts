import { defineApi } from "../api.ts";
import { array, field, int16, string, struct } from "../schema.ts";

/**
 * SaslHandshake (key 17), v0–v1 (KIP-43). The client names a mechanism; the answer lists the
 * enabled ones. After v0 the SASL tokens travel as bare size-prefixed frames; after v1 they
 * travel inside SaslAuthenticate requests (KIP-152). Never flexible.
 */
export const SaslHandshake = defineApi({
  key: 17,
  name: "SaslHandshake",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: Infinity,
  request: struct(field("mechanism", string, "0+")),
  response: struct(field("errorCode", int16, "0+"), field("mechanisms", array(string), "0+")),
});
