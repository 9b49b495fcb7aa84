import { timingSafeEqual } from "node:crypto";
import { StreamNestError } from "../lib/errors.ts";
import { CLUSTER_SECRET_HEADER } from "../lib/internal-routes.ts";

/**
 * The guard of the broker-to-broker routes. Every route under /internal/ changes or
 * reveals cluster state, so each request must carry the shared cluster secret; one
 * without it (or with another) is refused with 401 before anything is read or changed.
 */

/** Constant-time, so the time to refuse says nothing about how much of a guess matched. */
export function secretMatches(expected: string, given: string | null | undefined): boolean {
  if (given === null || given === undefined) return false;
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(given, "utf8");
  // timingSafeEqual needs equal lengths; compare against itself to spend the same time.
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Throws UNAUTHORIZED unless `given` (the secret a call carried, null without one) is
 * the cluster secret. A broker without a secret (a lone broker) has no peers to trust,
 * so it refuses every internal call.
 */
export function assertInternalAuth(given: string | null, secret: string | undefined): void {
  if (secret === undefined)
    throw new StreamNestError(
      "UNAUTHORIZED",
      "this broker has no cluster secret (--cluster-secret or STREAMNEST_CLUSTER_SECRET), so it accepts no internal calls",
    );
  if (given === null)
    throw new StreamNestError("UNAUTHORIZED", `internal routes need the cluster secret in the ${CLUSTER_SECRET_HEADER} header`);
  if (!secretMatches(secret, given)) throw new StreamNestError("UNAUTHORIZED", "wrong cluster secret");
}
