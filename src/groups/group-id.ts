/**
 * Group ids travel in URL paths and in `__consumer_offsets` keys, so they follow the
 * same character rule as topic names (Kafka accepts any string; StreamNest is stricter
 * so that an id never needs escaping).
 */
import { StreamNestError } from "../lib/errors.ts";

const GROUP_ID = /^[a-zA-Z0-9._-]+$/;
export const MAX_GROUP_ID_LENGTH = 249;

export function groupIdProblem(groupId: string): string | undefined {
  if (groupId.length === 0) return "group id must not be empty";
  if (groupId.length > MAX_GROUP_ID_LENGTH)
    return `group id is ${groupId.length} characters long; at most ${MAX_GROUP_ID_LENGTH} are allowed`;
  if (!GROUP_ID.test(groupId)) return `group id "${groupId}" may contain only ASCII letters, digits, '.', '_' and '-'`;
  return undefined;
}

export function assertGroupId(groupId: string): void {
  const problem = groupIdProblem(groupId);
  if (problem !== undefined) throw new StreamNestError("INVALID_REQUEST", problem);
}
