import { limit, section } from "./setting.ts";

/** The CLI clients: producer, consumer, topics. */
export const CLIENT = section({
  meta: {
    kind: "text",
    flag: "meta",
    hint: "host:port",
    default: "localhost:8080",
    help: "a broker of the cluster as host:port (any broker answers; several comma-separated)",
  },
  token: {
    kind: "text",
    flag: "token",
    hint: "token",
    defaultText: "none",
    help: "API token for brokers run with --auth=token (sent as Authorization: Bearer); prefer the variable: argv is public",
  },
});

export const CLIENT_LIMITS = {
  /** A container runtime runs the check every few seconds: a stuck broker must fail it, not hang it. */
  healthTimeoutMs: limit(3_000, "longest wait of `streamnest health` for the broker's answer", "ms"),
  /** Long polls get their own wait added. */
  requestTimeoutMs: limit(30_000, "longest wait for one answer from a broker", "ms"),
  /** Each read may wait this long at the broker for new records before asking again. */
  longPollMs: limit(20_000, "how long one read may wait at the broker for new records", "ms"),
  consumerReadMax: limit(1000, "records one read of the consumer asks for", "count"),
  /** Kafka's consumers refresh their metadata every metadata.max.age.ms (5 min); a person watching a topic wants new partitions sooner. */
  partitionWatchMs: limit(5_000, "how often the consumer of every partition looks for partitions added to its topic", "ms"),
  groupConsumerReadMax: limit(500, "records one read of a group member asks for", "count"),
  groupJoinWaitMs: limit(5_000, "how long a join waits for the rest of the group", "ms"),
  /** Backoff while the cluster cannot serve (a broker restarting, a leader moving). */
  retryFirstMs: limit(200, "first wait before retrying a read the cluster could not serve", "ms"),
  retryMaxMs: limit(5_000, "longest wait between retries of a read", "ms"),
  /** Kafka's delivery.timeout.ms is 2 minutes; a person at a terminal wants an answer sooner. */
  producerRetryMs: limit(30_000, "how long the producer keeps sending again a message the cluster surely did not store (no leader)", "ms"),
  /** Big enough to amortise a request, small enough to stream. */
  producerBatchMessages: limit(1000, "lines per batch request of the producer", "count"),
  /** Kept well under the broker's body limit so a batch is never refused for its size. */
  producerBatchBytes: limit(512 * 1024, "bytes per batch request of the producer", "bytes"),
};
