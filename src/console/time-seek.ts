/**
 * The first offset whose record was written at or after a time, found by bisection over
 * the partition with one-record reads: the API has no offset-by-time route, and record
 * timestamps are append times, so they do not decrease along the log (Kafka's
 * ListOffsets by timestamp answers the same question from its time index).
 */

/** Timestamp of the record at `offset`, or null when there is none (compacted away, past the end). */
export type TimestampAt = (offset: number) => Promise<number | null>;

export async function offsetForTime(start: number, end: number, timeMs: number, timestampAt: TimestampAt): Promise<number> {
  let lo = start;
  let hi = end; // `end` stands for "no record at or after the time yet"
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const ts = await timestampAt(mid);
    if (ts === null || ts >= timeMs) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
