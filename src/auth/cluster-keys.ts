import { hkdfSync } from "node:crypto";
import { StreamNestError } from "../lib/errors.ts";

/**
 * Keys derived from the cluster secret with HKDF-SHA256 (RFC 5869), one per purpose, so the
 * secret itself is used for nothing but derivation and no key serves two protocols. The
 * cluster id is the HKDF salt: two clusters that share a secret by mistake get unrelated keys.
 */
export const MIN_CLUSTER_SECRET_BYTES = 16;
const CLUSTER_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function clusterIdProblem(clusterId: unknown): string | undefined {
  if (typeof clusterId !== "string" || !CLUSTER_ID.test(clusterId))
    return "cluster id must be 1-64 of ASCII letters, digits, '.', '_' and '-'";
  return undefined;
}

export interface ClusterKeys {
  /** HMAC-SHA256 key of broker-to-broker requests and responses. */
  readonly brokerRequests: Buffer;
  /** ScramServer/authenticatePlain fake-credential secret: the same on every broker, so an
   * unknown user's fake salt does not differ between brokers as a real one never does. */
  readonly scramFakeCredentials: Buffer;
}

function derive(secret: Uint8Array, clusterId: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, Buffer.from(clusterId, "utf8"), `streamnest/v1/${purpose}`, 32));
}

export function deriveClusterKeys(secret: string | Uint8Array, clusterId: string): ClusterKeys {
  const bytes = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
  if (bytes.length < MIN_CLUSTER_SECRET_BYTES)
    throw new StreamNestError("INVALID_REQUEST", `the cluster secret must be at least ${MIN_CLUSTER_SECRET_BYTES} bytes`);
  const problem = clusterIdProblem(clusterId);
  if (problem) throw new StreamNestError("INVALID_REQUEST", problem);
  return {
    brokerRequests: derive(bytes, clusterId, "broker-request-hmac"),
    scramFakeCredentials: derive(bytes, clusterId, "scram-fake-credentials"),
  };
}
