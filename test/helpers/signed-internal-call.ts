import { BrokerCallAuth } from "../../src/auth/broker-call-auth.ts";
import { CLUSTER } from "../../src/config/cluster.ts";
import { BROKER_AUTH_HEADER } from "../../src/lib/internal-routes.ts";

/**
 * The header of a call to a broker's /internal/ routes signed as a broker of the cluster
 * (auth/broker-call-auth.ts), for tools that hold the cluster secret and read what only
 * brokers may: the tests and the chaos harness reading each replica's own copy. It signs
 * as the broker it calls: a broker serves such a read only for an id the quorum knows
 * (cluster/sender-membership.ts), and every broker knows itself. Every call gets a fresh
 * nonce.
 */
const signers = new Map<string, BrokerCallAuth>();

export function signedInternalHeaders(
  secret: string,
  receiverId: number,
  method: string,
  path: string,
  body = "",
  clusterId = CLUSTER.clusterId.default,
): Record<string, string> {
  const key = `${clusterId}\n${secret}\n${receiverId}`;
  let auth = signers.get(key);
  if (auth === undefined) signers.set(key, (auth = new BrokerCallAuth({ secret, clusterId, selfId: receiverId })));
  return { [BROKER_AUTH_HEADER]: auth.signCall(receiverId, method, path, body).authorization };
}
