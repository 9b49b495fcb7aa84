import { defineApi } from "../api.ts";
import { field, int16, int32, int64, nullable, string, struct } from "../schema.ts";

/**
 * InitProducerId (key 22), v0–v4. v2 is the first flexible version, v3 (KIP-360) lets a
 * producer bump its epoch by sending its current id and epoch. v5 is for KIP-890's
 * transaction protocol; transactions are out of scope.
 */
export const InitProducerId = defineApi({
  key: 22,
  name: "InitProducerId",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 2,
  request: struct(
    field("transactionalId", nullable(string), "0+"),
    field("transactionTimeoutMs", int32, "0+"),
    field("producerId", int64, "3+", { default: -1n }),
    field("producerEpoch", int16, "3+", { default: -1 }),
  ),
  response: struct(
    field("throttleTimeMs", int32, "0+"),
    field("errorCode", int16, "0+"),
    field("producerId", int64, "0+", { default: -1n }),
    field("producerEpoch", int16, "0+"),
  ),
});
