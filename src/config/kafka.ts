import { configError } from "./read.ts";
import { limit, section } from "./setting.ts";

/**
 * The Kafka listener (src/kafka/): where it binds, what Metadata tells clients, how much
 * one request may carry, and Kafka's topic auto-creation.
 *
 * `--kafka-port`: a port number, `auto` (a free port, reported on stdout as
 * `Kafka listener on :<port>`, for tests), or `0`/`off` (no listener; a single broker's
 * default, so that two brokers on one machine never race for 9092). `--count=N` gives
 * brokers 1..N the ports 9092..9092+N-1 unless `--kafka-base-port` says otherwise.
 */
export const KAFKA = section({
  port: {
    kind: "text",
    flag: "kafka-port",
    hint: "port|auto|off",
    defaultText: "off (with --count: 9092..)",
    help: "Kafka protocol port; auto: a free one, shown on stdout; 0 or off: no Kafka listener",
  },
  listeners: {
    kind: "text",
    flag: "kafka-listeners",
    hint: "NAME://host:port,…",
    defaultText: "one, from --kafka-port",
    help: "several named Kafka listeners (Kafka's listeners), instead of --kafka-port; port 0: a free one",
  },
  advertise: {
    kind: "text",
    flag: "kafka-advertise",
    hint: "host:port|NAME://host:port,…",
    defaultText: "<listen host>:<kafka port> (localhost on 0.0.0.0)",
    help: "Kafka address Metadata answers name for this broker; per listener name with --kafka-listeners (a client gets the addresses of the listener it connected to)",
  },
  maxRequestBytes: {
    kind: "bytes",
    flag: "kafka-max-request-bytes",
    hint: "bytes",
    unit: "bytes",
    min: 1024,
    default: 100 * 1024 * 1024,
    help: "largest Kafka request (Kafka's socket.request.max.bytes); a larger frame closes the connection",
  },
  maxConnections: {
    kind: "integer",
    flag: "kafka-max-connections",
    hint: "n",
    unit: "count",
    min: 1,
    default: 10_000,
    help: "most open Kafka connections; more are closed at once with a log line",
  },
  autoCreateTopics: {
    kind: "choice",
    flag: "auto-create-topics",
    hint: "on|off",
    choices: ["on", "off"],
    default: "on",
    help: "create a topic a Kafka client names in Metadata or Produce (HTTP still answers 404)",
  },
  groupInitialRebalanceDelayMs: {
    kind: "integer",
    flag: "group-initial-rebalance-delay-ms",
    hint: "ms",
    unit: "ms",
    min: 0,
    max: 300_000,
    default: 300,
    help: "how long a new Kafka group waits for more members before its first generation (Kafka's group.initial.rebalance.delay.ms, whose default is 3000)",
  },
  defaultPartitions: {
    kind: "integer",
    flag: "default-partitions",
    hint: "n",
    unit: "count",
    min: 1,
    max: 10_000,
    default: 1,
    help: "partitions of a topic created by auto-creation",
  },
  reauthMs: {
    kind: "integer",
    flag: "kafka-reauth-ms",
    hint: "ms",
    unit: "ms",
    min: 0,
    max: 2_147_483_647,
    default: 0,
    help: "with --auth=token: a SASL session lasts this long, and the client must authenticate again on its connection before it ends or be cut off (Kafka's connections.max.reauth.ms, KIP-368); 0: for the connection's life",
  },
});

export const KAFKA_LAUNCHER = section({
  basePort: {
    kind: "integer",
    flag: "kafka-base-port",
    env: false,
    hint: "port",
    unit: "port",
    min: 1,
    max: 65535,
    default: 9092,
    help: "with --count: Kafka port of broker 1",
  },
});

export const KAFKA_LIMITS = {
  /** Frames read ahead of the one being answered; past this the socket is paused (Kafka mutes it). */
  maxQueuedRequests: limit(64, "requests read ahead of the one being answered on one connection", "count"),
  /**
   * The same in bytes: librdkafka pipelines megabyte Produce requests, and 64 of them held
   * 64 MiB per connection, each in memory touched for the first time (a page fault per
   * 4 KiB); past a few the broker is not answering sooner, the client just waits longer.
   */
  maxQueuedRequestBytes: limit(8 * 1024 * 1024, "request bytes read ahead of the one being answered on one connection", "bytes"),
  /**
   * acks=all Produce requests of one connection whose records are appended while they
   * wait for their replicas (see connection.ts): as a producer's max.in.flight (5).
   */
  maxProducesAwaitingReplicas: limit(5, "acks=all Produce requests of one connection waiting for replicas together", "count"),
  /**
   * Requests one connection has answered in a row before it lets the event loop turn (the
   * other connections, HTTP, heartbeats): a request answered at once leaves only
   * microtasks, and one client pipelining 300,000 ApiVersions held the broker for 26 s,
   * long enough to be fenced. Kafka mutes a connection while its request is handled.
   */
  requestsPerTurn: limit(16, "requests of one connection answered before others get a turn", "count"),
  /**
   * Most bytes one compressed record batch may decompress to (else CORRUPT_MESSAGE, as a
   * batch that does not decompress). Kafka keeps a batch compressed as sent; StreamNest
   * stores each record, so a 97 KB gzip batch of zeros became 99 MB of frames under the
   * former cap (the request's 100 MiB). The HTTP API's largest body is the same 32 MiB.
   */
  maxBatchDecompressedBytes: limit(32 * 1024 * 1024, "most bytes one compressed Kafka record batch may decompress to", "bytes"),
  /**
   * Decompressed Produce records held at once across every connection, from decompression
   * until their append is answered; a Produce arriving past this waits its turn. Found by
   * fuzzing: 16 connections each sending a 97 KB gzip bomb took the broker to 3.3 GB.
   */
  maxDecompressedInFlightBytes: limit(256 * 1024 * 1024, "decompressed Kafka Produce bytes held at once, all connections; more waits", "bytes"),
  /** A connection that sends nothing for this long is closed (Kafka's connections.max.idle.ms). */
  idleTimeoutMs: limit(600_000, "a Kafka connection idle this long is closed", "ms"),
  /**
   * Idempotent producers' sequence states (one per producer id and partition) kept in
   * memory; past this the least recently written is dropped, as a broker restart would.
   * Without it every producer id a client ever sent (short-lived producers, or an attacker
   * inventing ids) stayed for the broker's lifetime.
   */
  maxProducerStates: limit(100_000, "idempotent producer states (producer id and partition) kept; the least recently written go first", "count"),
  /**
   * Array elements one request may declare in all (topics, partitions, …, nested arrays
   * counted together): each costs an object and a handler's work on the one event loop,
   * where a 2 MB request naming a million topics stalled every client for 30 s. Kafka has
   * no such cap (its handlers run on many threads); no client sends this many (a consumer
   * fetching 100,000 partitions at once).
   */
  maxRequestElements: limit(100_000, "array elements one Kafka request may declare in all; more closes the connection", "count"),
  /**
   * A classic group with no members is forgotten after this (Kafka removes a group with no
   * members and no offsets at its next cleanup): a client joining ever new group ids grew
   * the coordinator's memory without bound. Committed offsets stay, and ListGroups and
   * DescribeGroups show such a group by them, Empty.
   */
  emptyGroupRetentionMs: limit(60_000, "how long a Kafka classic group with no members is kept in memory", "ms"),
  /** Cap on a Fetch's wait so a broker shutting down is never held by a client's long max wait. */
  maxFetchWaitMs: limit(30_000, "longest wait of a Kafka fetch", "ms"),
};

/** The Kafka port setting: a number, "auto" (a free port) or off (undefined). */
export function parseKafkaPort(given: string | undefined): number | "auto" | undefined {
  if (given === undefined) return undefined;
  const value = given.trim().toLowerCase();
  if (value === "" || value === "off" || value === "0") return undefined;
  if (value === "auto") return "auto";
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535)
    throw configError(`--kafka-port must be a port from 1 to 65535, auto or off; got "${given}"`);
  return Number(value);
}
