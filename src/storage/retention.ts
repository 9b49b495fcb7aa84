/**
 * Retention picks whole segments from the oldest on, as Kafka's log cleaner does with
 * cleanup.policy=delete: a segment goes when its newest record is older than
 * retention.ms, or while the log is larger than retention.bytes. The active segment is
 * never deleted, and deletion stops at the first segment that must stay, so the kept log
 * is always one contiguous range of offsets.
 */
export interface RetentionCandidate {
  sizeBytes: number;
  /** Newest record timestamp in the segment; null when it holds no record. */
  newestTimestamp(): number | null;
}

export interface RetentionLimits {
  retentionMs?: number;
  retentionBytes?: number;
}

/** How many of the oldest `segments` (ascending, the last one active) to delete. */
export function segmentsToDelete(segments: RetentionCandidate[], limits: RetentionLimits, now: number): number {
  let total = segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  let count = 0;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i];
    const overSize = limits.retentionBytes !== undefined && total > limits.retentionBytes;
    let expired = false;
    if (!overSize && limits.retentionMs !== undefined) {
      const newest = segment.newestTimestamp();
      expired = newest === null || newest < now - limits.retentionMs;
    }
    if (!overSize && !expired) break;
    total -= segment.sizeBytes;
    count++;
  }
  return count;
}
