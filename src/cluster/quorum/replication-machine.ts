/**
 * KIP-595's pull-based replication on both sides: the leader answers Fetch (holding it
 * while there is nothing new, as a long poll), moves the high watermark, and serves
 * snapshots; a follower or observer fetches in a loop, truncates when told its log
 * diverged, and installs a snapshot when it is below the leader's log start.
 */
import { CoreBase } from "./core-base.ts";
import { answerFetch, type FetchAnswer } from "./fetch-answer.ts";
import type { FetchRequest, FetchResponse, FetchSnapshotRequest, FetchSnapshotResponse } from "./messages.ts";
import type { ReplicaRef } from "./leader-state.ts";
import type { NodeId } from "./types.ts";

export class ReplicationMachine extends CoreBase {
  protected onFetchRequest(request: FetchRequest, now: number): void {
    const leader = this.leader;
    const knownLeader = this.leaderAlive(now) ? this.state.leaderId : null;
    const refuse = (error: FetchResponse["error"], leaderId: NodeId | null) =>
      this.reply(request, {
        type: "fetch-response", to: request.from, error, epoch: this.state.epoch, leaderId,
        highWatermark: -1, entries: [], divergingEpoch: null, snapshotId: null,
      });
    if (this.role !== "leader" || !leader) return refuse("NOT_LEADER", knownLeader);
    if (request.epoch < leader.epoch) return refuse("FENCED_LEADER_EPOCH", this.config.nodeId);
    if (request.epoch > leader.epoch) return refuse("UNKNOWN_LEADER_EPOCH", this.config.nodeId);
    const answer = answerFetch(this.log, request.fetchOffset, request.lastFetchedEpoch, this.config.maxFetchEntries);
    const matched = answer.kind === "entries";
    // A voter's id fetching from another disk is not that voter (KIP-853): it is served
    // as an observer, and its log counts towards nothing, neither the high watermark
    // nor check-quorum.
    const replica = this.replicaOf(request);
    leader.recordFetch(replica, matched ? request.fetchOffset : null, now);
    if (matched && replica.sameDisk) this.updateHighWatermark(now);
    const nothingNew =
      answer.kind === "entries" && answer.entries.length === 0 && leader.knowsHighWatermark(replica, this.highWatermark);
    if (nothingNew) {
      leader.parked.push({ request, deadline: now + this.config.fetchMaxWaitMs });
      return;
    }
    this.answerFetchNow(request, answer);
  }

  /** Who sent a fetch; a voter recorded without a directory id adopts the sender's. */
  private replicaOf(request: FetchRequest | FetchSnapshotRequest): ReplicaRef {
    this.adopt(request.from, request.replicaDirectoryId);
    return { id: request.from, directoryId: request.replicaDirectoryId, sameDisk: this.sameDisk(request.from, request.replicaDirectoryId) };
  }

  private answerFetchNow(request: FetchRequest, known?: FetchAnswer): void {
    const leader = this.leader;
    if (!leader) return;
    const answer = known ?? answerFetch(this.log, request.fetchOffset, request.lastFetchedEpoch, this.config.maxFetchEntries);
    leader.noteSentHighWatermark(this.replicaOf(request), this.highWatermark);
    this.reply(request, {
      type: "fetch-response",
      to: request.from,
      error: "NONE",
      epoch: leader.epoch,
      leaderId: this.config.nodeId,
      highWatermark: this.highWatermark,
      entries: answer.kind === "entries" ? answer.entries : [],
      divergingEpoch: answer.kind === "diverging" ? { epoch: answer.epoch, endOffset: answer.endOffset } : null,
      snapshotId: answer.kind === "snapshot" ? answer.snapshotId : null,
    });
  }

  /** Answers held fetches: all of them when there is news (entries or a higher high
   * watermark), else only those whose long poll has run out. */
  protected answerParkedFetches(now: number, news: boolean): void {
    const leader = this.leader;
    if (!leader || leader.parked.length === 0) return;
    const keep = [];
    for (const parked of leader.parked) {
      if (news || parked.deadline <= now) this.answerFetchNow(parked.request);
      else keep.push(parked);
    }
    leader.parked = keep;
  }

  protected updateHighWatermark(now: number): void {
    const leader = this.leader;
    if (!leader) return;
    const next = leader.highWatermark(this.highWatermark);
    if (next === this.highWatermark) return;
    this.highWatermark = next;
    this.answerParkedFetches(now, true);
  }

  protected onFetchSnapshotRequest(request: FetchSnapshotRequest, now: number): void {
    const leader = this.leader;
    const base = { type: "fetch-snapshot-response", to: request.from, snapshotId: request.snapshotId, position: request.position } as const;
    if (this.role !== "leader" || !leader || request.epoch !== leader.epoch) {
      const error = this.role === "leader" && request.epoch < this.state.epoch ? "FENCED_LEADER_EPOCH" : "NOT_LEADER";
      return this.reply(request, { ...base, error, epoch: this.state.epoch, leaderId: this.role === "leader" ? this.config.nodeId : null, size: 0, bytes: new Uint8Array() });
    }
    leader.recordFetch(this.replicaOf(request), null, now);
    const bytes = this.log.readSnapshot(request.snapshotId);
    if (!bytes) {
      return this.reply(request, { ...base, error: "SNAPSHOT_NOT_FOUND", epoch: leader.epoch, leaderId: this.config.nodeId, size: 0, bytes: new Uint8Array() });
    }
    const chunk = bytes.subarray(request.position, request.position + this.config.snapshotChunkBytes);
    this.reply(request, { ...base, error: "NONE", epoch: leader.epoch, leaderId: this.config.nodeId, size: bytes.length, bytes: chunk });
  }

  protected onFetchResponse(response: FetchResponse, now: number): void {
    this.observeEpoch(response.epoch, response.leaderId, now);
    const session = this.session;
    if (!session || !session.accept(response.correlationId)) return;
    if (response.error !== "NONE") {
      session.nextFetchAt = now + this.config.retryBackoffMs;
      return;
    }
    if (this.role !== "follower" || response.from !== this.state.leaderId || response.epoch !== this.state.epoch) return;
    session.lastContactMs = now;
    this.leaderHighWatermark = { value: response.highWatermark, requestSentAt: session.acceptedSentAt };
    if (response.snapshotId) {
      session.download = { id: response.snapshotId, position: 0, chunks: [] };
    } else if (response.divergingEpoch) {
      // Truncate to where this log and the leader's agree on the diverging epoch
      // (KIP-595; Kafka truncates to the smaller of the two end offsets).
      const own = this.log.endOffsetForEpoch(response.divergingEpoch.epoch);
      const target = Math.min(response.divergingEpoch.endOffset, own?.endOffset ?? this.log.startOffset());
      this.log.truncateTo(Math.max(target, this.log.startOffset()));
      this.needFlush = true;
    } else {
      const end = this.log.endOffset();
      const fresh = response.entries.filter((e) => e.offset >= end);
      if (fresh.length > 0 && fresh[0]!.offset === end) {
        this.log.append(fresh);
        this.needFlush = true;
      }
      // Below the leader's high watermark, whatever this log holds after a matching
      // fetch is the leader's log, hence committed.
      const hw = Math.min(response.highWatermark, this.log.endOffset());
      if (hw > this.highWatermark) this.highWatermark = hw;
    }
    session.nextFetchAt = now;
  }

  protected onFetchSnapshotResponse(response: FetchSnapshotResponse, now: number): void {
    this.observeEpoch(response.epoch, response.leaderId, now);
    const session = this.session;
    if (!session || !session.accept(response.correlationId)) return;
    if (response.error !== "NONE") {
      // The leader moved on to a newer snapshot (or lost leadership): fetch again and be told.
      session.download = null;
      session.nextFetchAt = now + this.config.retryBackoffMs;
      return;
    }
    if (this.role !== "follower" || response.from !== this.state.leaderId || response.epoch !== this.state.epoch) return;
    session.lastContactMs = now;
    session.nextFetchAt = now;
    const whole = session.addChunk(response.snapshotId, response.position, response.bytes, response.size);
    if (!whole || response.snapshotId.endOffset <= this.highWatermark) return;
    this.log.installSnapshot(response.snapshotId, whole);
    this.needFlush = true;
    this.highWatermark = response.snapshotId.endOffset;
    this.appliedOffset = response.snapshotId.endOffset;
    this.pendingSnapshot = response.snapshotId;
  }

  /** Sends the next fetch (or snapshot chunk request) when one is due. */
  protected maybeFetch(now: number): void {
    const session = this.session;
    if (!session || !session.due(now, this.fetchRetryMs())) return;
    const target = this.role === "follower" ? this.state.leaderId : this.randomOtherVoter();
    if (target === null) return;
    const download = session.download;
    const correlationId = download
      ? this.send({
          type: "fetch-snapshot-request",
          to: target,
          epoch: this.state.epoch,
          replicaDirectoryId: this.config.directoryId,
          snapshotId: download.id,
          position: download.position,
        })
      : this.send({
          type: "fetch-request",
          to: target,
          epoch: this.state.epoch,
          replicaDirectoryId: this.config.directoryId,
          fetchOffset: this.log.endOffset(),
          lastFetchedEpoch: this.log.lastEpoch(),
        });
    session.inFlight = { correlationId, to: target, sentAt: now };
  }

  private randomOtherVoter(): NodeId | null {
    const others = this.otherVoters();
    return others.length === 0 ? null : others[this.random.int(others.length)]!;
  }
}
