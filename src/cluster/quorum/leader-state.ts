/**
 * What a leader tracks in its epoch (the role of Kafka's LeaderState): each replica's
 * fetch offset and last fetch time, the high watermark rule, check-quorum, and voters
 * that have not yet acknowledged the new epoch.
 */
import type { FetchRequest } from "./messages.ts";
import type { NodeId, ReplicaView } from "./types.ts";
import { majorityOf } from "./vote-rules.ts";

interface ReplicaProgress {
  readonly id: NodeId;
  /** Offset up to which the replica's log is known to match ours; -1 before it fetched. */
  endOffset: number;
  lastFetchMs: number;
  /** The high watermark last sent to it: a fetch is parked only if it already knows ours. */
  sentHighWatermark: number;
  readonly voter: boolean;
  directoryId: string | null;
}

/** Who fetched: `sameDisk` is false for a voter's id from a disk other than the recorded
 * one (KIP-853): it is served as an observer, tracked apart, and counts for nothing. */
export interface ReplicaRef {
  readonly id: NodeId;
  readonly directoryId: string;
  readonly sameDisk: boolean;
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
  /** Voters' ids fetching from another disk, by id and directory id. */
  private readonly strangers = new Map<string, ReplicaProgress>();

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
      if (id !== selfId) this.progress.set(id, { id, endOffset: -1, lastFetchMs: now, sentHighWatermark: -1, voter: true, directoryId: null });
    }
  }

  /** Any fetch in this epoch is contact; only a validated one (the logs match below
   * fetchOffset) moves the replica's offset. A stranger's fetch touches only its own
   * entry, never the voter's whose id it carries. */
  recordFetch(replica: ReplicaRef, matchedEndOffset: number | null, now: number): void {
    const p = this.entryOf(replica, now);
    p.lastFetchMs = now;
    p.directoryId = replica.directoryId;
    if (matchedEndOffset !== null) p.endOffset = matchedEndOffset;
    if (replica.sameDisk) this.beginEpochPending.delete(replica.id);
  }

  private entryOf(replica: ReplicaRef, now: number): ReplicaProgress {
    const known = this.find(replica);
    if (known) return known;
    const fresh = { id: replica.id, endOffset: -1, lastFetchMs: now, sentHighWatermark: -1, voter: false, directoryId: replica.directoryId };
    if (replica.sameDisk) this.progress.set(replica.id, fresh);
    else this.strangers.set(strangerKey(replica), fresh);
    return fresh;
  }

  private find(replica: ReplicaRef): ReplicaProgress | undefined {
    return replica.sameDisk ? this.progress.get(replica.id) : this.strangers.get(strangerKey(replica));
  }

  knowsHighWatermark(replica: ReplicaRef, highWatermark: number): boolean {
    return this.find(replica)?.sentHighWatermark === highWatermark;
  }

  noteSentHighWatermark(replica: ReplicaRef, highWatermark: number): void {
    const p = this.find(replica);
    if (p) p.sentHighWatermark = highWatermark;
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

  replicas(): ReplicaView[] {
    return [...this.progress.values(), ...this.strangers.values()]
      .map((p) => ({ id: p.id, endOffset: p.endOffset, lastFetchMs: p.lastFetchMs, voter: p.voter, directoryId: p.directoryId }))
      .sort((a, b) => a.id - b.id || Number(b.voter) - Number(a.voter));
  }
}

function strangerKey(replica: ReplicaRef): string {
  return `${replica.id}/${replica.directoryId}`;
}
