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
  /**
   * A WebSocket (a signed GET upgraded) that carries a follower's replica fetches to this
   * leader, each the same signed call and signed answer as a POST to replicaFetch, without
   * an HTTP exchange apiece (lib/channel-frames.ts).
   */
  replicaChannel: "/internal/replication/channel",
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

/**
 * Where a broker learns which broker id answers at an address before its first signed call
 * (every call is signed for one receiver). Public: an impostor could claim any id, but
 * then only relays calls it cannot read or change, and its own answers fail verification.
 */
export const BROKER_IDENTITY_PATH = "/health";

/**
 * A call's signature (auth/broker-request-signature.ts): cluster id, sender, receiver,
 * timestamp, nonce and an HMAC over the request; never the cluster secret.
 */
export const BROKER_AUTH_HEADER = "x-streamnest-broker-auth";
/** The answering broker's HMAC over its answer, bound to the call's nonce. */
export const BROKER_SIGNATURE_HEADER = "x-streamnest-broker-signature";
/** The id of the calling broker (set by the callee from the verified signature, for its handlers). */
export const FROM_HEADER = "x-streamnest-from";
/** Answers of this type stream (a live tail): signed over streamedBodyMark, not their body. */
export const STREAMED_ANSWER_TYPE = "application/x-ndjson";

/**
 * What a streamed answer is signed over instead of its body, which is not known when the
 * head leaves: its content type, bound (by the signature) to the status and the call's
 * nonce. The stream's content is then only as safe as the connection between the brokers.
 */
export function streamedBodyMark(contentType: string): string {
  return `\u0000streamed ${contentType}`;
}

export function isStreamedAnswer(contentType: string | null | undefined): boolean {
  return (contentType ?? "").startsWith(STREAMED_ANSWER_TYPE);
}

export function isInternalPath(pathname: string): boolean {
  return pathname === "/internal" || pathname.startsWith(INTERNAL_PREFIX);
}

