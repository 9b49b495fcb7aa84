/**
 * Group ids are any string, as Kafka allows ("roundrobin,range" is one librdkafka's
 * tests use): they travel in `__consumer_offsets` keys as JSON strings and in URL paths
 * percent-encoded, so no character needs refusing. Only what cannot round-trip is: the
 * empty id (Kafka's INVALID_GROUP_ID), one longer than a Kafka STRING can carry, and a
 * lone UTF-16 surrogate (UTF-8 cannot hold it, so the stored key would name another group).
 */
import { StreamNestError } from "../lib/errors.ts";

/** The longest Kafka STRING (an int16 length, in UTF-8 bytes). */
export const MAX_GROUP_ID_BYTES = 32_767;

export function groupIdProblem(groupId: string): string | undefined {
  if (groupId.length === 0) return "group id must not be empty";
  const bytes = Buffer.byteLength(groupId);
  if (bytes > MAX_GROUP_ID_BYTES) return `group id takes ${bytes} bytes as UTF-8; at most ${MAX_GROUP_ID_BYTES} are allowed`;
  if (!groupId.isWellFormed()) return "group id is not valid Unicode (a lone surrogate)";
  return undefined;
}

export function assertGroupId(groupId: string): void {
  const problem = groupIdProblem(groupId);
  if (problem !== undefined) throw new StreamNestError("INVALID_REQUEST", problem);
}
