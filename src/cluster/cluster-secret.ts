import { randomBytes } from "node:crypto";

export const CLUSTER_SECRET_ENV = "STREAMNEST_CLUSTER_SECRET";

/**
 * The one lookup of the configured secret: the flag wins over the environment, and an
 * empty value (`--cluster-secret=` or an empty variable) counts as none.
 */
export function resolveClusterSecret(
  flag: string | undefined,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const value = flag !== undefined && flag !== "" ? flag : env[CLUSTER_SECRET_ENV];
  return value !== undefined && value !== "" ? value : undefined;
}

/**
 * The secret that guards `/internal/` between the brokers of one launch: the configured
 * one when set (so brokers on other machines can join), else 256 fresh random bits,
 * which nobody outside this launch can know.
 */
export function clusterSecret(env: Record<string, string | undefined> = process.env): string {
  return resolveClusterSecret(undefined, env) ?? randomBytes(32).toString("base64url");
}
