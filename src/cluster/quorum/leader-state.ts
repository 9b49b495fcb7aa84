/**
 * What a leader tracks in its epoch (the role of Kafka's LeaderState): each replica's
 * fetch offset and last fetch time, the high watermark rule, check-quorum, and voters
 * that have not yet acknowledged the new epoch.
 */
import type { FetchRequest } from "./messages.ts";
import type { NodeId } from "./types.ts";
import { majorityOf } from "./vote-rules.ts";

interface ReplicaProgress {
  /** Offset up to which the replica's log is known to match ours; -1 before it fetched. */
  endOffset: number;
  lastFetchMs: number;
  /** The high watermark last sent to it: a fetch is parked only if it already knows ours. */
  sentHighWatermark: number;
  readonly voter: boolean;
}

export interface ParkedFetch {
  readonly request: FetchRequest;
  readonly deadline: number;
}

export class LeaderState {
  /** The leader's own log end offset that is flushed: it counts towards the majority
   * only once durable. */
  flushedEndOffset: number;
  readonly beginEpochPending: Set<NodeId>;
  beginEpochRetryAt: number;
  parked: ParkedFetch[] = [];
  private readonly progress = new Map<NodeId, ReplicaProgress>();

  constructor(
    readonly selfId: NodeId,
    readonly epoch: number,
    /** Offset of this epoch's leader-change entry. */
    readonly epochStartOffset: number,
    private readonly voterIds: readonly NodeId[],
    now: number,
    flushedEndOffset: number,
    /** Test-only: drop the rule that only an own-epoch entry commits (Figure 8's bug). */
    private readonly unsafeCommitByCount = false,
  ) {
    this.flushedEndOffset = flushedEndOffset;
    this.beginEpochPending = new Set(voterIds.filter((id) => id !== selfId));
    this.beginEpochRetryAt = now;
    // A new leader gives every voter one fetch timeout to reach it before check-quorum.
    for (const id of voterIds) {
      if (id !== selfId) this.progress.set(id, { endOffset: -1, lastFetchMs: now, sentHighWatermark: -1, voter: true });
    }
  }

  /** Any fetch in this epoch is contact; only a validated one (the logs match below
   * fetchOffset) moves the replica's offset. */
  recordFetch(id: NodeId, matchedEndOffset: number | null, now: number): void {
    let replica = this.progress.get(id);
    if (!replica) {
      replica = { endOffset: -1, lastFetchMs: now, sentHighWatermark: -1, voter: false };
      this.progress.set(id, replica);
    }
    replica.lastFetchMs = now;
    if (matchedEndOffset !== null) replica.endOffset = matchedEndOffset;
    this.beginEpochPending.delete(id);
  }

  knowsHighWatermark(id: NodeId, highWatermark: number): boolean {
    return this.progress.get(id)?.sentHighWatermark === highWatermark;
  }

  noteSentHighWatermark(id: NodeId, highWatermark: number): void {
    const replica = this.progress.get(id);
    if (replica) replica.sentHighWatermark = highWatermark;
  }

  /** Raft §5.3/§5.4.2 in KRaft's form: the largest offset that a majority of voters
   * holds, once that includes this epoch's leader-change entry; never lower than now. */
  highWatermark(current: number): number {
    const offsets = this.voterIds.map((id) => (id === this.selfId ? this.flushedEndOffset : (this.progress.get(id)?.endOffset ?? -1)));
    offsets.sort((a, b) => b - a);
    const held = offsets[majorityOf(this.voterIds.length) - 1] ?? -1;
    const ownEpochHeld = held > this.epochStartOffset || this.unsafeCommitByCount;
    return ownEpochHeld && held > current ? held : current;
  }

  /** Check-quorum: the time at which fewer than a majority of voters (this leader
   * included) will have fetched within the fetch timeout, unless more fetches arrive. */
  quorumExpiresAt(fetchTimeoutMs: number): number {
    const times = this.voterIds.map((id) => (id === this.selfId ? Infinity : (this.progress.get(id)?.lastFetchMs ?? -Infinity)));
    times.sort((a, b) => b - a);
    return (times[majorityOf(this.voterIds.length) - 1] ?? -Infinity) + fetchTimeoutMs;
  }

  /** Voters ordered most caught-up first: the preferred successors when resigning. */
  successors(): NodeId[] {
    return [...this.progress.entries()]
      .filter(([, p]) => p.voter)
      .sort((a, b) => b[1].endOffset - a[1].endOffset || a[0] - b[0])
      .map(([id]) => id);
  }

  replicas(): Array<{ id: NodeId; endOffset: number; lastFetchMs: number; voter: boolean }> {
    return [...this.progress.entries()]
      .map(([id, p]) => ({ id, endOffset: p.endOffset, lastFetchMs: p.lastFetchMs, voter: p.voter }))
      .sort((a, b) => a.id - b.id);
  }
}
