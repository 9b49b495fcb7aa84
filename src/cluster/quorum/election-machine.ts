/**
 * Elections and timers: Vote and PreVote (Raft §5.2, §5.4.1; KIP-595; KIP-996),
 * BeginQuorumEpoch and EndQuorumEpoch (KIP-595), the election and fetch timeouts, and
 * check-quorum (a leader that a majority of voters has not fetched from within the
 * fetch timeout resigns, so a cut-off leader stops acting as one).
 */
import type {
  BeginQuorumEpochRequest,
  EndQuorumEpochRequest,
  QuorumMessage,
  VoteRequest,
  VoteResponse,
} from "./messages.ts";
import { ReplicationMachine } from "./replication-machine.ts";
import type { NodeId } from "./types.ts";
import { candidateLogIsUpToDate, isVoter } from "./vote-rules.ts";

export class ElectionMachine extends ReplicationMachine {
  protected handle(message: QuorumMessage, now: number): void {
    switch (message.type) {
      case "vote-request":
        return this.onVoteRequest(message, now);
      case "vote-response":
        return this.onVoteResponse(message, now);
      case "begin-epoch-request":
        return this.onBeginEpoch(message, now);
      case "begin-epoch-response":
        this.observeEpoch(message.epoch, message.leaderId, now);
        if (message.epoch === this.state.epoch) this.leader?.beginEpochPending.delete(message.from);
        return;
      case "end-epoch-request":
        return this.onEndEpoch(message, now);
      case "fetch-request":
        return this.onFetchRequest(message, now);
      case "fetch-response":
        return this.onFetchResponse(message, now);
      case "fetch-snapshot-request":
        return this.onFetchSnapshotRequest(message, now);
      case "fetch-snapshot-response":
        return this.onFetchSnapshotResponse(message, now);
    }
  }

  /** The leader to name in answers: only one heard from within the fetch timeout, so
   * that voters do not keep pointing each other at a leader that is gone. */
  private knownLeader(now: number): NodeId | null {
    if (this.role === "leader") return this.config.nodeId;
    return this.leaderAlive(now) ? this.state.leaderId : null;
  }

  private onVoteRequest(request: VoteRequest, now: number): void {
    const logOk =
      this.config.testOnlyUnsafe?.skipVoteLogCheck === true ||
      candidateLogIsUpToDate(request, { lastEpoch: this.log.lastEpoch(), endOffset: this.log.endOffset() });
    this.adopt(request.from, request.candidateDirectoryId);
    // Only a voter votes, only for a voter, and only as the disk the candidate asked
    // (KIP-853: a wiped voter has a new directory id and has forgotten its votes).
    const eligible =
      this.isVoter &&
      isVoter(this.voters, request.from, request.candidateDirectoryId) &&
      (request.voterDirectoryId === null || request.voterDirectoryId === this.config.directoryId);
    const answer = (granted: boolean) =>
      this.reply(request, {
        type: "vote-response", to: request.from, epoch: this.state.epoch, leaderId: this.knownLeader(now), granted, preVote: request.preVote,
        voterDirectoryId: this.config.directoryId,
      });
    if (request.preVote) {
      // KIP-996: refuse while a leader is known to be alive, so a rejoining voter that
      // was cut off cannot unseat a healthy leader. Nothing changes here either way.
      const leaderAlive = this.role === "leader" || this.leaderAlive(now);
      return answer(eligible && request.epoch > this.state.epoch && !leaderAlive && logOk);
    }
    if (!eligible) return answer(false);
    if (request.epoch > this.state.epoch) this.becomeUnattached(request.epoch, now);
    if (request.epoch < this.state.epoch) return answer(false);
    const s = this.state;
    const again = s.votedId === request.from && s.votedDirectoryId === request.candidateDirectoryId;
    // One vote per epoch (Figure 2), never in an epoch whose leader is known.
    const fresh = !again && s.votedId === null && s.leaderId === null && logOk;
    if (fresh) {
      this.persist({ ...s, votedId: request.from, votedDirectoryId: request.candidateDirectoryId });
      this.becomeUnattached(s.epoch, now);
    }
    answer(again || fresh);
  }

  private onVoteResponse(response: VoteResponse, now: number): void {
    if (response.epoch > this.state.epoch) return this.observeEpoch(response.epoch, response.leaderId, now);
    if (!this.voterIds.includes(response.from)) return;
    this.adopt(response.from, response.voterDirectoryId);
    // A voter's id answering from another disk (wiped) is not that voter: its grant counts for nothing.
    if (response.granted && !this.sameDisk(response.from, response.voterDirectoryId)) return;
    if (response.preVote) {
      if (this.role !== "prospective" || !this.roundRequests.has(response.correlationId)) return;
      if (response.granted) {
        this.grants.add(response.from);
        if (this.grants.size >= this.majority()) this.becomeCandidate(now);
      } else {
        this.observeEpoch(response.epoch, response.leaderId, now);
      }
      return;
    }
    if (this.role !== "candidate" || response.epoch !== this.state.epoch) return;
    if (response.granted) {
      this.grants.add(response.from);
      this.maybeWin(now);
    } else {
      this.observeEpoch(response.epoch, response.leaderId, now);
    }
  }

  private onBeginEpoch(request: BeginQuorumEpochRequest, now: number): void {
    this.observeEpoch(request.epoch, request.leaderId, now);
    const following = this.role === "follower" && this.state.leaderId === request.leaderId && this.state.epoch === request.epoch;
    if (following && this.session) this.session.lastContactMs = now;
    this.reply(request, { type: "begin-epoch-response", to: request.from, epoch: this.state.epoch, leaderId: this.knownLeader(now) });
  }

  /** The leader resigned: stop following it, and stand soon if it named this voter
   * among its most caught-up successors (KIP-595's preferred successors). */
  private onEndEpoch(request: EndQuorumEpochRequest, now: number): void {
    if (request.epoch > this.state.epoch) return this.observeEpoch(request.epoch, null, now);
    if (request.epoch < this.state.epoch || this.role !== "follower" || this.state.leaderId !== request.leaderId) return;
    const position = request.preferredSuccessors.indexOf(this.config.nodeId);
    const backoff = this.config.retryBackoffMs;
    const timeout = position >= 0 ? backoff * (position + 1) + this.random.int(backoff) : this.randomElectionTimeout();
    if (this.isVoter) this.becomeUnattached(this.state.epoch, now, timeout);
  }

  protected runTimers(now: number): void {
    const cfg = this.config;
    switch (this.role) {
      case "leader": {
        const leader = this.leader;
        if (!leader) return;
        if (now >= leader.quorumExpiresAt(cfg.fetchTimeoutMs)) return this.resign(now);
        this.answerParkedFetches(now, false);
        if (leader.beginEpochPending.size > 0 && now >= leader.beginEpochRetryAt) this.sendBeginEpoch(now);
        return;
      }
      case "follower":
        if (this.session && now >= this.session.fetchTimeoutAt(cfg.fetchTimeoutMs)) {
          if (this.isVoter) this.becomeProspective(now);
          else this.becomeUnattached(this.state.epoch, now);
        }
        return;
      case "unattached":
      case "resigned":
        if (this.isVoter && now >= this.electionDeadline) this.becomeProspective(now);
        return;
      case "prospective":
      case "candidate":
        // A lost election is retried from pre-vote (KIP-996), not by raising the epoch.
        if (now >= this.electionDeadline) this.becomeProspective(now);
        else if (now >= this.retryAt) this.requestVotes(this.role === "prospective", now);
        return;
    }
  }

  protected earliestTimer(): number {
    const cfg = this.config;
    switch (this.role) {
      case "leader": {
        const leader = this.leader;
        if (!leader) return Infinity;
        let at = leader.quorumExpiresAt(cfg.fetchTimeoutMs);
        for (const parked of leader.parked) at = Math.min(at, parked.deadline);
        if (leader.beginEpochPending.size > 0) at = Math.min(at, leader.beginEpochRetryAt);
        return at;
      }
      case "follower":
        if (!this.session) return Infinity;
        return Math.min(this.session.fetchTimeoutAt(cfg.fetchTimeoutMs), this.session.dueAt(this.fetchRetryMs()));
      case "unattached":
        return this.isVoter ? this.electionDeadline : (this.session?.dueAt(this.fetchRetryMs()) ?? Infinity);
      case "resigned":
        return this.electionDeadline;
      case "prospective":
      case "candidate":
        return Math.min(this.electionDeadline, this.retryAt);
    }
  }

  /** Work that follows any input: a follower's next fetch. */
  protected pump(now: number): void {
    this.maybeFetch(now);
  }
}
