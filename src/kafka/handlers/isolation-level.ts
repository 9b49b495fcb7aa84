/**
 * The isolation levels of Fetch (v4+) and ListOffsets (v2+): 0 read_uncommitted and
 * 1 read_committed (KIP-98). StreamNest has no transactions, so every written record is
 * stable and both read the same; any other byte is a request no client sends, answered
 * INVALID_REQUEST rather than read as one of the two (Kafka's IsolationLevel.forId
 * refuses it too).
 */
export function knownIsolationLevel(level: number): boolean {
  return level === 0 || level === 1;
}
