import { randomBytes } from "node:crypto";
import { readClusterSecret } from "../config/broker-settings.ts";
import { CLUSTER } from "../config/cluster.ts";
import { envName } from "../config/setting.ts";

export const CLUSTER_SECRET_ENV = envName(CLUSTER.clusterSecret) ?? "STREAMNEST_CLUSTER_SECRET";

/** The one lookup of the configured secret (config/broker-settings.ts). */
export const resolveClusterSecret = readClusterSecret;

/**
 * The secret that guards `/internal/` between the brokers of one launch: the configured
 * one when set (so brokers on other machines can join), else 256 fresh random bits,
 * which nobody outside this launch can know.
 */
export function clusterSecret(env: Record<string, string | undefined> = process.env): string {
  return resolveClusterSecret(undefined, env) ?? randomBytes(32).toString("base64url");
}
