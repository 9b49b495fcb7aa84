import { limit, section } from "./setting.ts";

/** How a broker finds, authenticates and talks to the others; and the local launcher. */
export const CLUSTER = section({
  peers: { kind: "addresses", flag: "peers", hint: "host:port,…", default: [], defaultText: "none", help: "the other brokers, comma-separated" },
  advertise: {
    kind: "address",
    flag: "advertise",
    hint: "host:port",
    defaultText: "localhost:<port>",
    help: "address clients are told to use; port 0 in it: the port listened on",
  },
  clusterSecret: {
    kind: "text",
    flag: "cluster-secret",
    hint: "secret",
    defaultText: "none",
    help: "secret (16+ bytes) from which brokers derive the keys that sign their calls; on the command line others can read it (ps): prefer the variable or --cluster-secret-file",
  },
  clusterSecretFile: {
    kind: "text",
    flag: "cluster-secret-file",
    hint: "path",
    defaultText: "none",
    help: "file holding the cluster secret (a final newline is ignored)",
  },
  clusterId: {
    kind: "text",
    flag: "cluster-id",
    hint: "id",
    default: "streamnest",
    help: "name of the cluster (1-64 of A-Z a-z 0-9 . _ -); brokers of another cluster id are refused even with the same secret",
  },
});

/** The metadata quorum (issue 11: a Raft log, KIP-595), read beside CLUSTER by the broker command. */
export const CLUSTER_QUORUM = section({
  controllerVoters: {
    kind: "integer",
    flag: "controller-voters",
    hint: "n",
    unit: "count",
    min: 1,
    max: 7,
    defaultText: "3, or 5 from 5 brokers on",
    help: "how many brokers vote in the metadata quorum, chosen at formation (the lowest ids)",
  },
  sessionTimeoutMs: {
    kind: "integer",
    flag: "session-timeout-ms",
    hint: "ms",
    unit: "ms",
    min: 100,
    default: 3000,
    help: "a broker whose heartbeats the quorum leader misses this long is fenced (Kafka: 9000)",
  },
  metadataSnapshotEntries: {
    kind: "integer",
    flag: "metadata-snapshot-entries",
    hint: "n",
    unit: "count",
    min: 1,
    default: 1000,
    help: "snapshot the metadata and trim its log every this many committed entries",
  },
  metadataSnapshotBytes: {
    kind: "integer",
    flag: "metadata-snapshot-bytes",
    hint: "bytes",
    unit: "bytes",
    min: 1,
    default: 20 * 1024 * 1024,
    help: "snapshot the metadata also once this many bytes of entries were committed since the last snapshot (Kafka: 20 MiB)",
  },
});

/**
 * `broker --count=N`. No environment variables: a launcher's brokers inherit its
 * environment, and a STREAMNEST_COUNT there would make each of them a launcher too.
 */
export const LAUNCHER = section({
  count: { kind: "integer", flag: "count", env: false, hint: "n", unit: "count", min: 1, max: 1000, help: "run a local cluster of N brokers (ids 1..N)" },
  basePort: {
    kind: "integer",
    flag: "base-port",
    env: false,
    hint: "port",
    unit: "port",
    min: 1,
    max: 65535,
    default: 8080,
    help: "with --count: port of broker 1",
  },
});

export const CLUSTER_LIMITS = {
  peerTimeoutMs: limit(2_000, "longest wait for a peer's answer to a broker-to-broker call", "ms"),
  heartbeatIntervalMs: limit(500, "how often a broker tells its peers it is alive", "ms"),
  deadAfterMs: limit(2_000, "a peer silent this long is counted down", "ms"),
  forwardedTailKeepaliveMs: limit(15_000, "how often an idle forwarded tail sends an empty line", "ms"),
  /**
   * Room a forwarding broker adds to the leader's body limit for the wrapping of a
   * forwarded call; without it a request just under the limit was refused (413)
   * through any broker but its leader.
   */
  forwardedCallOverheadBytes: limit(1024, "room for the wrapping of a forwarded produce call", "bytes"),
  /**
   * A first write to a partition creates its log (a folder, a segment, an index): on a
   * loaded 2-core machine under `ulimit -n 256` that took over 50 ms a call, and a
   * forwarded request of 64 fresh partitions outlasted a 20 ms allowance (3.26 s), so a
   * batch that was being written came back as unknown outcomes.
   */
  forwardedProduceCallWaitMs: limit(60, "time a leader may take per produce call beyond the first in one request", "ms"),
  forwardedProduceMaxExtraWaitMs: limit(5_000, "most extra time a leader may take for the calls of one request", "ms"),
  /**
   * Requests to one leader go one after another, so each timeout covers only its own
   * calls: a leader creating a new partition log per call took over 40 ms a call on a
   * loaded machine, and 1,000 calls in one request all came back with unknown outcomes.
   */
  forwardedProduceCallsPerRequest: limit(64, "most produce calls in one forwarded request", "count"),
};

/** How the launcher keeps its brokers running (`broker --count=N`). */
export const LAUNCHER_LIMITS = {
  quickFailureMs: limit(10_000, "a broker run shorter than this counts as a quick failure", "ms"),
  maxQuickFailures: limit(5, "consecutive quick failures after which the launcher gives a broker up", "count"),
  firstBackoffMs: limit(500, "first wait before restarting a broker that failed", "ms"),
  maxBackoffMs: limit(8_000, "longest wait before restarting a broker that failed", "ms"),
  stopGraceMs: limit(10_000, "how long a stop waits for SIGTERM to work before SIGKILL", "ms"),
};
