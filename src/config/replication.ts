import { limit, section } from "./setting.ts";

/** Partition replication between brokers (Kafka's replication settings; issue 12). */
export const REPLICATION = section({
  // Kafka's default.replication.factor, 3 as issue 12 asks: a new topic survives a broker's
  // death. Capped at the registered, unfenced brokers, so a single broker still gets 1.
  defaultReplicationFactor: {
    kind: "integer",
    flag: "default-replication-factor",
    hint: "n",
    unit: "count",
    min: 1,
    max: 64,
    default: 3,
    help: "replicas of a topic created without replication_factor (capped at the live broker count)",
  },
  replicaLagTimeMs: {
    kind: "integer",
    flag: "replica-lag-time-ms",
    hint: "ms",
    unit: "ms",
    min: 100,
    max: 2 ** 31 - 1,
    // Kafka's replica.lag.time.max.ms (30 s since Kafka 2.5, 10 s before and in issue 12).
    default: 10_000,
    help: "a follower not caught up for this long leaves the ISR",
  },
  uncleanLeaderElection: {
    kind: "choice",
    flag: "unclean-leader-election",
    hint: "true|false",
    choices: ["false", "true"],
    default: "false",
    help: "elect a replica outside the ISR when none in it is left (may lose acknowledged records)",
  },
  replicaFetchTransport: {
    kind: "choice",
    flag: "replica-fetch-transport",
    hint: "websocket|http",
    choices: ["websocket", "http"],
    // Measured: a small fetch round over the channel cost a third of the CPU of an HTTP
    // exchange (http/replica-channel.ts). To a leader that does not take the upgrade (a
    // proxy in between), fetches go over HTTP either way.
    default: "websocket",
    help: "how followers send replica fetches to a leader: one WebSocket per leader, or an HTTP request per fetch",
  },
  leaderWaitMs: {
    kind: "integer",
    flag: "leader-wait-ms",
    hint: "ms",
    unit: "ms",
    min: 0,
    max: 120_000,
    // Long enough for a dead leader to be counted down (2 s without heartbeats), its
    // successor elected from the ISR and the change applied everywhere; short enough
    // that a client hears of a partition that stays without a leader.
    default: 5_000,
    help: "longest an HTTP produce or read waits for a partition's new leader during an election before answering 503",
  },
});

export const REPLICATION_LIMITS = {
  fetchWaitMs: limit(500, "longest a follower's fetch waits at the leader for new records", "ms"),
  // Each fetch that waited out its time doubles the next one's, from fetchWaitMs up to this:
  // every partition's followers fetch on their own, so an idle broker answered and sent two
  // fetches a second per partition it follows or leads (300 idle RF=3 partitions took 17% of
  // a core per broker). A follower waiting at the log end counts as caught up however long
  // it waits (leader-state.ts), and an append answers it at once.
  fetchIdleWaitMs: limit(4_000, "longest a follower's fetch waits at the leader once the partition is idle", "ms"),
  fetchMaxBytes: limit(4 * 1024 * 1024, "bytes of records in one replica fetch answer (at least one record)", "bytes"),
  fetchBackoffMs: limit(100, "wait before a follower retries a failed fetch", "ms"),
  channelCallMaxBytes: limit(64 * 1024, "largest call a leader takes on a replication channel (a fetch request is a few hundred bytes)", "bytes"),
  channelBufferBytes: limit(1024 * 1024, "unsent bytes of a replication channel past which a leader holds further answers back until the follower reads", "bytes"),
  channelRetryMs: limit(10_000, "after a replication channel could not be opened, fetches go over HTTP this long before it is tried again", "ms"),
  checkMs: limit(250, "how often leaders check lagging followers and brokers down", "ms"),
  preferredLeaderCheckMs: limit(3_000, "how often leadership moves back to preferred replicas in the ISR", "ms"),
  // The one value both sides of a forwarded acks=all produce derive their waits from: the
  // leader waits this long for its ISR, a forwarding broker this long plus its peer timeout.
  // Below the peer timeout, so a read forwarded to a leader still settling answers in time.
  highWatermarkWaitMs: limit(1_500, "longest a read waits for a new leader to learn its high watermark from its followers", "ms"),
  // Above the metadata quorum's write timeout (4.5 s), so only a proposal whose answer or
  // commit was lost outlives it (Kafka clears its pendingIsr on a failed AlterPartition).
  pendingIsrChangeMs: limit(10_000, "longest a leader waits to see its ISR change committed before proposing again", "ms"),
  produceAckTimeoutMs: limit(10_000, "longest an acks=all produce waits for the ISR (a forwarding broker waits this plus the peer timeout)", "ms"),
};
