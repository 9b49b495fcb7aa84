import type { BrokerRef } from "../broker/metadata.ts";
import { StreamNestError } from "../lib/errors.ts";
import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";

/**
 * Which broker ids may make which calls, checked on every verified broker-to-broker call
 * (after its signature: an outsider learns nothing of who the members are). The signature
 * proves the sender holds the cluster key and names the cluster id and its broker id; this
 * checks that id against what the quorum knows.
 *
 * Joining: as a KRaft controller accepts BrokerRegistration from any broker that
 * authenticates (KIP-631) and answers Fetch from observers not yet registered (KIP-595), a
 * broker joins through the routes below before the quorum knows it: heartbeats, formation's
 * voters question, quorum messages (Vote, Fetch, …) and the quorum heartbeat that
 * registers it. They read no partition's records (an observer's Fetch does read the
 * metadata log, as in KRaft), and change only what the signer says of itself:
 * their bodies must speak for the id signed for (assertSentBy), so a broker heartbeats,
 * votes and registers as itself only. (The key is shared: a holder of it may still join
 * as a new broker, as it may in Kafka with valid credentials; what it cannot do is act as
 * a broker id the quorum never registered.)
 *
 * Every other call (forwarded produce and reads, replica fetch, metadata proposals, group
 * and admin calls, stats) changes state or reads data, and is served only for a member:
 *   - a voter of the metadata quorum (quorum-voters.json, from formation), or
 *   - a broker registered in the committed metadata (a register-broker entry gave it an
 *     incarnation; fenced or not, it stays a member, as a fenced Kafka broker still
 *     fetches to catch up), or
 *   - while this broker does not know the voters yet (it is forming, or its disk was
 *     wiped), a broker it dialled at a --peers address: the operator named it.
 */
const JOIN_PATHS: ReadonlySet<string> = new Set([
  INTERNAL_ROUTES.heartbeat,
  INTERNAL_ROUTES.quorum,
  INTERNAL_ROUTES.quorumHeartbeat,
  INTERNAL_ROUTES.quorumVoters,
]);

/** What the receiver knows of the cluster's members. */
export interface MemberView {
  /** The quorum's voter ids; null before formation. */
  voters(): readonly number[] | null;
  /** The brokers of the committed metadata. */
  registered(): readonly BrokerRef[];
  /** Ids learned from the brokers at --peers addresses. */
  configuredPeerIds(): readonly number[];
}

/** Whether `path` (with or without a query) is one a broker needs to join the cluster. */
export function isJoinPath(path: string): boolean {
  const query = path.indexOf("?");
  return JOIN_PATHS.has(query < 0 ? path : path.slice(0, query));
}

/** Whether broker `sender` is a member in `view` (see above). */
export function isMember(view: MemberView, sender: number): boolean {
  const voters = view.voters();
  if (voters?.includes(sender)) return true;
  if (view.registered().some((b) => b.id === sender && b.incarnation !== undefined)) return true;
  return voters === null && view.configuredPeerIds().includes(sender);
}

/** Whether this broker serves a verified call from broker `sender` to `path`. */
export function acceptsCall(view: MemberView, sender: number, path: string): boolean {
  return isJoinPath(path) || isMember(view, sender);
}

/**
 * Throws UNAUTHORIZED unless the broker id a call's body speaks for (a heartbeat's or
 * registration's id, a quorum message's sender) is the one that signed the call: a broker
 * registers, heartbeats and votes as itself only. `sender` null: a call made in process.
 */
export function assertSentBy(sender: number | null | undefined, named: number, what: string): void {
  if (sender === null || sender === undefined || sender === named) return;
  throw new StreamNestError("UNAUTHORIZED", `${what} names broker ${named} but was signed by broker ${sender}`);
}
