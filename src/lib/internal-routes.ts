/**
 * The broker-to-broker HTTP contract: every route under /internal/ and the headers its
 * calls carry. The cluster's HTTP client sends to these paths and the HTTP adapter
 * serves them, so both read them from here; the broker core knows none of them.
 */

export const INTERNAL_PREFIX = "/internal/";

export const INTERNAL_ROUTES = {
  heartbeat: "/internal/heartbeat",
  produce: "/internal/partitions/produce",
  fetch: "/internal/partitions/fetch",
  tail: "/internal/partitions/tail",
  /** The ranges of the partitions of a topic the answering broker leads (`?topic=`). */
  offsets: "/internal/partitions/offsets",
  /** A follower's fetch from a partition's leader (binary framing, cluster/replication/fetch-wire.ts). */
  replicaFetch: "/internal/replication/fetch",
  /** The answering broker's own copy of a partition up to its log end (`?topic&partition&offset&max`), to compare replicas. */
  replicaRecords: "/internal/replicas/records",
  /** The ranges of every partition the answering broker leads, by topic (to summarize all topics). */
  allOffsets: "/internal/partitions/all-offsets",
  /** The answering broker's message counters and disk use (for cluster-wide rates). */
  stats: "/internal/stats",
  /** A consumer-group call run on its coordinator. */
  groups: "/internal/groups",
  /** Messages of the metadata quorum (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot). */
  quorum: "/internal/quorum",
  /** A metadata change for the quorum leader to commit. */
  quorumPropose: "/internal/quorum/propose",
  /** A broker's heartbeat to the quorum leader (registration and fencing). */
  quorumHeartbeat: "/internal/quorum/heartbeat",
  /** Answers once the broker applied a given metadata version (the leader's read-your-writes wait). */
  quorumApplied: "/internal/quorum/applied",
  /** The voters this broker recorded at formation (null before). */
  quorumVoters: "/internal/quorum/voters",
} as const;

/** The shared cluster secret (compared in constant time; see cluster/internal-auth.ts). */
export const CLUSTER_SECRET_HEADER = "x-streamnest-cluster-secret";
/** The id of the calling broker, so the callee can name it. */
export const FROM_HEADER = "x-streamnest-from";

export function isInternalPath(pathname: string): boolean {
  return pathname === "/internal" || pathname.startsWith(INTERNAL_PREFIX);
}

