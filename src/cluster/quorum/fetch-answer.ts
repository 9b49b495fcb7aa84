/**
 * How a leader answers a follower's Fetch (KIP-595): the follower sends its log end
 * offset and the epoch of its last entry; if the leader's log holds that epoch up to at
 * least that offset, the logs match there (Raft's log matching property) and the leader
 * sends what follows. Otherwise it names the diverging epoch and where that epoch ends in
 * its own log, and the follower truncates (KIP-101/279). A follower below the leader's log
 * start is sent to the latest snapshot instead.
 */
import type { QuorumLog } from "./log.ts";
import type { Entry, SnapshotId } from "./types.ts";

export type FetchAnswer =
  | { readonly kind: "entries"; readonly entries: Entry[] }
  | { readonly kind: "diverging"; readonly epoch: number; readonly endOffset: number }
  | { readonly kind: "snapshot"; readonly snapshotId: SnapshotId };

export function answerFetch(log: QuorumLog, fetchOffset: number, lastFetchedEpoch: number, maxEntries: number): FetchAnswer {
  const start = log.startOffset();
  const snapshot = log.latestSnapshot();
  const toSnapshot = (): FetchAnswer | null => (snapshot ? { kind: "snapshot", snapshotId: snapshot } : null);
  if (fetchOffset < start) {
    const answer = toSnapshot();
    if (answer) return answer;
  }
  if (fetchOffset > 0 || lastFetchedEpoch > 0) {
    const found = log.endOffsetForEpoch(lastFetchedEpoch);
    if (!found) return toSnapshot() ?? { kind: "diverging", epoch: 0, endOffset: 0 };
    if (found.epoch !== lastFetchedEpoch || found.endOffset < fetchOffset) {
      // The follower would have to truncate below what this log still holds: only the
      // snapshot can bring it back.
      if (found.endOffset < start) return toSnapshot() ?? { kind: "diverging", epoch: 0, endOffset: 0 };
      return { kind: "diverging", epoch: found.epoch, endOffset: found.endOffset };
    }
  }
  return { kind: "entries", entries: log.read(fetchOffset, maxEntries) };
}
