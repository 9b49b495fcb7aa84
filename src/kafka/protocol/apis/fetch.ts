import { defineApi } from "../api.ts";
import { array, field, int32, int64, int8, int16, nullable, records, string, struct } from "../schema.ts";

/**
 * Fetch (key 1), v4–v12. v4 is the first version whose answer may hold record batch v2
 * (and adds the isolation level and last stable offset); older versions would need
 * batches converted down to MessageSet v0/v1 (Kafka 4.0 dropped them too, KIP-896). v12
 * is the first flexible version. v13+ name topics by topic id only (KIP-516), which needs
 * ids kept stable across the cluster and refused after a topic is deleted and re-created;
 * StreamNest's core has topic names only, so the range ends at v12, which every client
 * that speaks v13 also speaks.
 */
export const Fetch = defineApi({
  key: 1,
  name: "Fetch",
  minVersion: 4,
  maxVersion: 12,
  flexibleFrom: 12,
  request: struct(
    field("clusterId", nullable(string), "12+", { tag: 0 }),
    field("replicaId", int32, "0-14", { default: -1 }),
    field("maxWaitMs", int32, "0+"),
    field("minBytes", int32, "0+"),
    field("maxBytes", int32, "3+", { default: 0x7fffffff }),
    field("isolationLevel", int8, "4+"),
    field("sessionId", int32, "7+"),
    field("sessionEpoch", int32, "7+", { default: -1 }),
    field(
      "topics",
      array(
        struct(
          field("topic", string, "0-12"),
          field(
            "partitions",
            array(
              struct(
                field("partition", int32, "0+"),
                field("currentLeaderEpoch", int32, "9+", { default: -1 }),
                field("fetchOffset", int64, "0+"),
                field("lastFetchedEpoch", int32, "12+", { default: -1 }),
                field("logStartOffset", int64, "5+", { default: -1n }),
                field("partitionMaxBytes", int32, "0+"),
              ),
            ),
            "0+",
          ),
        ),
      ),
      "0+",
    ),
    field(
      "forgottenTopicsData",
      array(struct(field("topic", string, "7-12"), field("partitions", array(int32), "7+"))),
      "7+",
    ),
    field("rackId", string, "11+"),
  ),
  response: struct(
    field("throttleTimeMs", int32, "1+"),
    field("errorCode", int16, "7+"),
    field("sessionId", int32, "7+"),
    field(
      "responses",
      array(
        struct(
          field("topic", string, "0-12"),
          field(
            "partitions",
            array(
              struct(
                field("partitionIndex", int32, "0+"),
                field("errorCode", int16, "0+"),
                field("highWatermark", int64, "0+"),
                field("lastStableOffset", int64, "4+", { default: -1n }),
                field("logStartOffset", int64, "5+", { default: -1n }),
                field(
                  "divergingEpoch",
                  struct(field("epoch", int32, "12+", { default: -1 }), field("endOffset", int64, "12+", { default: -1n })),
                  "12+",
                  { tag: 0 },
                ),
                field(
                  "currentLeader",
                  struct(field("leaderId", int32, "12+", { default: -1 }), field("leaderEpoch", int32, "12+", { default: -1 })),
                  "12+",
                  { tag: 1 },
                ),
                field(
                  "snapshotId",
                  struct(field("endOffset", int64, "0+", { default: -1n }), field("epoch", int32, "0+", { default: -1 })),
                  "12+",
                  { tag: 2 },
                ),
                field(
                  "abortedTransactions",
                  nullable(array(struct(field("producerId", int64, "4+"), field("firstOffset", int64, "4+")))),
                  "4+",
                ),
                field("preferredReadReplica", int32, "11+", { default: -1 }),
                field("records", records, "0+"),
              ),
            ),
            "0+",
          ),
        ),
      ),
      "0+",
    ),
  ),
});
