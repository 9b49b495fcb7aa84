import { randomBytes } from "node:crypto";

export const CLUSTER_SECRET_ENV = "STREAMNEST_CLUSTER_SECRET";

/**
 * The secret that guards `/internal/` between the brokers of one launch: the operator's
 * STREAMNEST_CLUSTER_SECRET when set (so brokers on other machines can join), else 256
 * fresh random bits, which nobody outside this launch can know.
 */
export function clusterSecret(env: Record<string, string | undefined> = process.env): string {
  const given = env[CLUSTER_SECRET_ENV];
  if (given !== undefined && given !== "") return given;
  return randomBytes(32).toString("base64url");
}
