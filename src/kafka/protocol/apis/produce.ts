import { defineApi } from "../api.ts";
import { array, field, int16, int32, int64, nullable, records, string, struct } from "../schema.ts";

/**
 * Produce (key 0), v3–v9. v3 is the first version that carries record batch v2 (KIP-98),
 * the only format StreamNest accepts; v0–v2 carry MessageSet v0/v1, which Kafka 4.0 also
 * dropped (KIP-896). v9 is the first flexible version; v10 adds KIP-951's leader hints
 * (current leader and node endpoints in tagged fields), which a client can do without:
 * it refreshes Metadata on NOT_LEADER_OR_FOLLOWER instead.
 */
export const Produce = defineApi({
  key: 0,
  name: "Produce",
  minVersion: 3,
  maxVersion: 9,
  flexibleFrom: 9,
  request: struct(
    field("transactionalId", nullable(string), "3+"),
    field("acks", int16, "0+"),
    field("timeoutMs", int32, "0+"),
    field(
      "topicData",
      array(
        struct(
          field("name", string, "0+"),
          field("partitionData", array(struct(field("index", int32, "0+"), field("records", records, "0+"))), "0+"),
        ),
      ),
      "0+",
    ),
  ),
  response: struct(
    field(
      "responses",
      array(
        struct(
          field("name", string, "0+"),
          field(
            "partitionResponses",
            array(
              struct(
                field("index", int32, "0+"),
                field("errorCode", int16, "0+"),
                field("baseOffset", int64, "0+"),
                field("logAppendTimeMs", int64, "2+", { default: -1n }),
                field("logStartOffset", int64, "5+", { default: -1n }),
                field(
                  "recordErrors",
                  array(struct(field("batchIndex", int32, "8+"), field("batchIndexErrorMessage", nullable(string), "8+"))),
                  "8+",
                ),
                field("errorMessage", nullable(string), "8+"),
              ),
            ),
            "0+",
          ),
        ),
      ),
      "0+",
    ),
    field("throttleTimeMs", int32, "1+"),
  ),
});
