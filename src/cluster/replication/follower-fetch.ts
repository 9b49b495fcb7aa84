import type { EpochRun, ReplicaFetch, ReplicaLogView } from "./types.ts";

/**
 * The follower's side (Kafka's ReplicaFetcherThread): what to fetch, how to truncate a
 * diverged log before fetching again (KIP-279), how to split a fetched batch by the
 * leader epochs it was written in, and the follower's high watermark. Pure functions
 * over a log view; the caller applies them to its log.
 */

export function nextFetch(replica: number, leaderEpoch: number, log: ReplicaLogView): ReplicaFetch {
  return { replica, fetchOffset: log.logEndOffset, lastFetchedEpoch: log.latestEpoch, leaderEpoch };
}

/** What a follower does to its log when the leader says it diverged. */
export type Truncation = { kind: "truncate"; offset: number } | { kind: "start-over"; offset: number };

/**
 * KIP-279: the follower looks up where the diverging epoch ends in its own log and
 * truncates to the smaller of that and the leader's end of the epoch. When its own
 * largest epoch ≤ the leader's is older (it never saw the leader's epoch), the cut is at
 * its own end of that epoch and the next fetch narrows further, one epoch per round.
 */
export function truncationFor(log: ReplicaLogView, diverging: { epoch: number; endOffset: number }): Truncation {
  const own = log.endOffsetForEpoch(diverging.epoch);
  const target = Math.min(own === null ? log.logEndOffset : own.endOffset, diverging.endOffset, log.logEndOffset);
  if (target < log.startOffset) return { kind: "start-over", offset: diverging.endOffset };
  // Always a cut, even at the log end: it drops epochs begun there with no record, so the
  // follower's last epoch is at most the diverging one and the next fetch makes progress.
  return { kind: "truncate", offset: target };
}

/**
 * The epoch runs of records [first, first + count) as the leader's epoch entries
 * describe them (oldest first): each run is appended with its own epoch so the
 * follower's leader-epoch cache matches the leader's.
 */
export function epochRunsFor(entries: readonly EpochRun[], first: number, count: number): EpochRun[] {
  if (count === 0) return [];
  const end = first + count;
  const runs: EpochRun[] = [];
  for (let i = 0; i < entries.length; i++) {
    const start = entries[i].startOffset;
    const next = entries[i + 1]?.startOffset ?? Number.POSITIVE_INFINITY;
    if (next <= first || start >= end) continue;
    runs.push({ epoch: entries[i].epoch, startOffset: Math.max(start, first) });
  }
  return runs;
}

/** A follower's HW: the leader's, but never past its own LEO (Kafka's follower HW rule). */
export function followerHighWatermark(leaderHighWatermark: number, log: ReplicaLogView): number {
  return Math.min(leaderHighWatermark, log.logEndOffset);
}
