import type { FetchVerdict, IsrChangeProposal, PartitionRegistration, ReplicaFetch, ReplicaLogView } from "./types.ts";

/**
 * The leader's side of one partition (Kafka's Partition/Replica on the leader): each
 * follower's log end offset (LEO) as its fetches report it, when it was last caught up,
 * the ISR, and the high watermark (HW), the smallest LEO of the ISR, which never moves
 * backward. Pure: time comes in as `now`, the log as a view, ISR changes go out as
 * proposals that the metadata quorum commits or refuses (AlterPartition, KIP-497).
 */

interface FollowerProgress {
  /** Null until its first fetch to this leader: unknown, so it holds the HW back if in the ISR. */
  leo: number | null;
  /** Last time its LEO reached the leader's LEO (Kafka's lastCaughtUpTimeMs). */
  lastCaughtUpMs: number;
  /** The leader's LEO and the time at its previous fetch, for the caught-up rule. */
  previousFetchLeaderLeo: number;
  previousFetchMs: number;
  /** Its fetches waiting at this leader for an append (parked; one at a time, normally). */
  parked: number;
}

export class LeaderState {
  private registration: PartitionRegistration;
  private readonly followers = new Map<number, FollowerProgress>();
  private hw: number;
  /** A proposal sent and not yet answered: no second one meanwhile (Kafka's pendingIsr). */
  private pending: IsrChangeProposal | null = null;
  /** When `pending` was made. */
  private pendingSince = 0;
  /** Members of an expansion given up on (expirePending): still counted for the HW until a registration says. */
  private unconfirmed: number[] = [];
  /** The leader's LEO as its appends and the fetches it served last saw it. */
  private leaderLeo: number;

  constructor(
    readonly self: number,
    registration: PartitionRegistration,
    /** The first offset of this leader's epoch: a follower joins the ISR only once past it. */
    readonly epochStartOffset: number,
    highWatermark: number,
    now: number,
  ) {
    this.registration = registration;
    this.hw = highWatermark;
    this.leaderLeo = epochStartOffset;
    // Every ISR member counts as caught up when leadership starts, as in Kafka, so the
    // lag clock of a follower starts with this leader, not with its last fetch elsewhere.
    for (const r of registration.replicas)
      if (r !== self) this.followers.set(r, { leo: null, lastCaughtUpMs: now, previousFetchLeaderLeo: 0, previousFetchMs: now, parked: 0 });
  }

  get partition(): PartitionRegistration {
    return this.registration;
  }

  get highWatermark(): number {
    return this.hw;
  }

  /**
   * Whether the HW is known: every other ISR member has fetched from this leader (each
   * holds every committed record, so the smallest of their LEOs is at least any HW a
   * consumer was shown). Before that the HW is the checkpoint's, which may lag.
   */
  get established(): boolean {
    for (const r of this.registration.isr) if (r !== this.self && (this.followers.get(r)?.leo ?? null) === null) return false;
    return true;
  }

  get isr(): readonly number[] {
    return this.registration.isr;
  }

  get pendingProposal(): IsrChangeProposal | null {
    return this.pending;
  }

  followerLeo(replica: number): number | null {
    return this.followers.get(replica)?.leo ?? null;
  }

  /** Milliseconds since the follower last reached the leader's log end (0 while it waits there). */
  followerCaughtUpAgo(replica: number, now: number): number {
    const f = this.followers.get(replica);
    return f === undefined || this.waitsAtLogEnd(f) ? 0 : Math.max(0, now - f.lastCaughtUpMs);
  }

  /**
   * A fetch of `replica` waits here for an append (long poll). While it waits at the log
   * end, the follower is caught up: without this, an idle follower's lag clock ran from the
   * arrival of its waiting fetch, and a lag time below the fetch wait (--replica-lag-time-ms
   * takes 100 ms; fetches wait up to 500) shrank the ISR of every idle partition and grew it
   * back at the next fetch, over and over, refusing acks=all produces while it was short.
   * (Kafka keeps a follower whose LEO equals the leader's in sync, and requires
   * replica.fetch.wait.max.ms below replica.lag.time.max.ms.)
   */
  fetchParked(replica: number): void {
    const f = this.followers.get(replica);
    if (f !== undefined) f.parked++;
  }

  /** The waiting fetch of `replica` is answered: caught up until now if it waited at the log end. */
  fetchUnparked(replica: number, now: number): void {
    const f = this.followers.get(replica);
    if (f === undefined || f.parked === 0) return;
    if (this.waitsAtLogEnd(f)) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, now);
    f.parked--;
  }

  /** How far behind the leader's LEO each follower is, in records (unknown: the whole log). */
  followerLag(logEndOffset: number): Map<number, number> {
    const out = new Map<number, number>();
    for (const [id, f] of this.followers) out.set(id, logEndOffset - (f.leo ?? 0));
    return out;
  }

  /**
   * Checks a fetch against the epochs and the log (Kafka's Partition.fetchRecords with
   * KIP-320/279): a stale or future epoch is fenced, and a follower whose last fetched
   * epoch ends earlier here than its fetch offset has diverged.
   */
  validate(fetch: ReplicaFetch, log: ReplicaLogView): FetchVerdict {
    const { leaderEpoch } = this.registration;
    if (fetch.leaderEpoch < leaderEpoch) return { kind: "fenced", leaderEpoch };
    if (fetch.leaderEpoch > leaderEpoch) return { kind: "unknown-epoch", leaderEpoch };
    if (!this.registration.replicas.includes(fetch.replica) || fetch.replica === this.self) return { kind: "not-replica" };
    if (fetch.fetchOffset < log.startOffset) return { kind: "start-over", startOffset: log.startOffset };
    if (fetch.lastFetchedEpoch !== null) {
      const here = log.endOffsetForEpoch(fetch.lastFetchedEpoch);
      if (here === null) return { kind: "diverging", epoch: log.latestEpoch ?? 0, endOffset: log.logEndOffset };
      if (here.epoch < fetch.lastFetchedEpoch || here.endOffset < fetch.fetchOffset)
        return { kind: "diverging", epoch: here.epoch, endOffset: here.endOffset };
    }
    if (fetch.fetchOffset > log.logEndOffset) return { kind: "diverging", epoch: log.latestEpoch ?? 0, endOffset: log.logEndOffset };
    return { kind: "read" };
  }

  /**
   * Records a validated fetch: the follower's LEO is its fetch offset. Returns the HW if
   * it moved, and an ISR expansion to propose when an out-of-sync follower caught up.
   */
  recordFetch(fetch: ReplicaFetch, log: ReplicaLogView, now: number): { highWatermark: number | null; expand: IsrChangeProposal | null } {
    this.noteLeaderLeo(log.logEndOffset, now);
    const f = this.followers.get(fetch.replica);
    if (!f) return { highWatermark: null, expand: null };
    f.leo = fetch.fetchOffset;
    // Caught up now, or caught up to where the leader was at its previous fetch (Kafka's
    // Replica.updateFetchState): a follower fetching steadily under load stays in sync.
    if (fetch.fetchOffset >= log.logEndOffset) f.lastCaughtUpMs = now;
    else if (fetch.fetchOffset >= f.previousFetchLeaderLeo) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.previousFetchMs);
    f.previousFetchLeaderLeo = log.logEndOffset;
    f.previousFetchMs = now;
    const moved = this.advanceHighWatermark(log.logEndOffset);
    return { highWatermark: moved ? this.hw : null, expand: this.expansionFor(fetch.replica, now) };
  }

  /** The leader's own append moved its LEO: the HW may follow (an ISR of the leader alone). */
  leaderAppended(logEndOffset: number, now: number): number | null {
    this.noteLeaderLeo(logEndOffset, now);
    return this.advanceHighWatermark(logEndOffset) ? this.hw : null;
  }

  /** The leader's LEO is `logEndOffset`: a follower that waited at the old one was caught up until now. */
  private noteLeaderLeo(logEndOffset: number, now: number): void {
    if (logEndOffset === this.leaderLeo) return;
    for (const f of this.followers.values()) if (this.waitsAtLogEnd(f)) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, now);
    this.leaderLeo = logEndOffset;
  }

  private waitsAtLogEnd(f: FollowerProgress): boolean {
    return f.parked > 0 && f.leo === this.leaderLeo;
  }

  /**
   * ISR members (other than the leader) not caught up for longer than `lagMs` (Kafka's
   * replica.lag.time.max.ms): the shrink to propose, or null. Never below the leader. A
   * follower whose fetch waits at the log end is caught up (fetchParked).
   */
  shrinkFor(now: number, lagMs: number): IsrChangeProposal | null {
    if (this.pending) return null;
    const { isr, leaderEpoch, partitionEpoch } = this.registration;
    const keep = isr.filter((r) => {
      if (r === this.self) return true;
      const f = this.followers.get(r);
      return f !== undefined && (this.waitsAtLogEnd(f) || now - f.lastCaughtUpMs <= lagMs);
    });
    if (keep.length === isr.length) return null;
    this.pending = { isr: keep, leaderEpoch, partitionEpoch };
    this.pendingSince = now;
    return this.pending;
  }

  /**
   * Forgets a proposal neither refused nor seen committed within `boundMs` (its answer or
   * its commit was lost somewhere), so that the leader may propose again; returns it, or
   * null. A pending change blocks every other, the shrink of a dead follower included.
   */
  expirePending(now: number, boundMs: number): IsrChangeProposal | null {
    const stale = this.pending;
    if (stale === null || now - this.pendingSince < boundMs) return null;
    this.pending = null;
    // An expansion may have been committed all the same: its new members keep holding the
    // HW back (the "maximal ISR") until a committed registration says who is in.
    for (const r of stale.isr) if (!this.registration.isr.includes(r) && !this.unconfirmed.includes(r)) this.unconfirmed.push(r);
    return stale;
  }

  /**
   * The quorum refused the proposal (a newer registration won): another may follow. A
   * committed one stays pending until `update` brings its registration here, so the HW
   * keeps counting a member being added until the leader itself knows it is in the ISR.
   */
  proposalRefused(): void {
    this.pending = null;
  }

  /**
   * A newer registration of this partition was committed. Returns false when this
   * broker no longer leads it in the same epoch (the driver drops this state).
   */
  update(registration: PartitionRegistration, logEndOffset: number): boolean {
    if (registration.leader !== this.self || registration.leaderEpoch !== this.registration.leaderEpoch) return false;
    this.registration = registration;
    this.pending = null;
    this.unconfirmed = [];
    for (const r of registration.replicas)
      if (r !== this.self && !this.followers.has(r))
        this.followers.set(r, { leo: null, lastCaughtUpMs: 0, previousFetchLeaderLeo: 0, previousFetchMs: 0, parked: 0 });
    this.advanceHighWatermark(logEndOffset);
    return true;
  }

  /**
   * HW = smallest LEO of the ISR, taken together with a pending expansion's new members
   * (Kafka's "maximal ISR": counting a member early only holds the HW lower). Never backward.
   */
  private advanceHighWatermark(logEndOffset: number): boolean {
    let candidate = logEndOffset;
    const members = new Set(this.registration.isr);
    for (const r of this.pending?.isr ?? []) members.add(r);
    for (const r of this.unconfirmed) members.add(r);
    for (const r of members) {
      if (r === this.self) continue;
      const leo = this.followers.get(r)?.leo ?? null;
      if (leo === null) return false;
      candidate = Math.min(candidate, leo);
    }
    if (candidate <= this.hw) return false;
    this.hw = candidate;
    return true;
  }

  /** A follower outside the ISR rejoins once it reached the HW and this leader's epoch (KIP-101). */
  private expansionFor(replica: number, now: number): IsrChangeProposal | null {
    if (this.pending || this.registration.isr.includes(replica)) return null;
    const leo = this.followers.get(replica)?.leo ?? null;
    if (leo === null || leo < this.hw || leo < this.epochStartOffset) return null;
    const { isr, leaderEpoch, partitionEpoch } = this.registration;
    this.pending = { isr: [...isr, replica].sort((a, b) => a - b), leaderEpoch, partitionEpoch };
    this.pendingSince = now;
    return this.pending;
  }
}
