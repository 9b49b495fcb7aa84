/**
 * The quorum core's state and its role transitions (Kafka's QuorumState): unattached,
 * prospective (KIP-996 pre-vote), candidate, leader, follower, resigned. Every change to
 * the epoch, the vote or the known leader is queued for persistence; the driver writes it
 * before any message of the same Ready leaves.
 */
import { FetchSession } from "./fetch-session.ts";
import { LeaderState } from "./leader-state.ts";
import type { QuorumLog } from "./log.ts";
import type { QuorumMessage } from "./messages.ts";
import type { Random } from "./prng.ts";
import type { ElectionState, NodeId, QuorumConfig, Role, SnapshotId, VoterKey } from "./types.ts";
import { adoptDirectoryId, isVoter, majorityOf } from "./vote-rules.ts";

/** Distributes Omit over a union, so that each message type keeps its own fields. */
export type Unsent<M> = M extends QuorumMessage ? Omit<M, "from" | "correlationId"> : never;

export class CoreBase {
  protected state: ElectionState;
  protected role: Role = "unattached";
  protected readonly isVoter: boolean;
  protected readonly voterIds: readonly NodeId[];
  /** The static voters with the directory ids known so far (see adoptDirectoryId). */
  protected voters: readonly VoterKey[];
  protected pendingVoters: readonly VoterKey[] | null = null;
  protected highWatermark: number;
  /**
   * The leader's high watermark as its last fetch answer told, and when that fetch was
   * sent: a change committed before a moment T is at most this value once a fetch sent
   * after T was answered (a read barrier, as Raft's ReadIndex; KRaft brokers wait for
   * their metadata to catch up the same way).
   */
  protected leaderHighWatermark = { value: -1, requestSentAt: -Infinity };
  /** Entries below this offset have been handed to the driver to apply. */
  protected appliedOffset: number;
  protected pendingSnapshot: SnapshotId | null = null;
  protected pendingState: ElectionState | null = null;
  /** The epoch of the election state known to be on disk (advance() reports it). */
  protected durableEpoch: number;
  protected needFlush = false;
  protected outbox: QuorumMessage[] = [];
  protected leader: LeaderState | null = null;
  protected session: FetchSession | null = null;
  /** Prospective and candidate: grants so far and the requests of this round. */
  protected grants = new Set<NodeId>();
  protected roundRequests = new Set<number>();
  protected retryAt = Infinity;
  /** Election timeout (voters without a leader), or resignation's wait. */
  protected electionDeadline = Infinity;
  /** Starts at a random point, so that answers meant for an earlier incarnation of this
   * node (still in flight when it restarted) do not match its new requests. */
  private nextCorrelationId: number;

  constructor(
    protected readonly config: QuorumConfig,
    state: ElectionState,
    protected readonly log: QuorumLog,
    protected readonly random: Random,
    now: number,
  ) {
    this.state = state;
    this.durableEpoch = state.epoch;
    this.nextCorrelationId = 1 + random.int(0x3fff_ffff);
    this.voters = config.voters;
    // A voter recorded without a directory id is this disk, if it is this node.
    this.adopt(config.nodeId, config.directoryId);
    this.isVoter = isVoter(this.voters, config.nodeId, config.directoryId);
    this.voterIds = config.voters.map((v) => v.id);
    const snapshot = log.latestSnapshot();
    // Only committed state is ever snapshotted, so the high watermark starts there; the
    // rest is learned from the leader (Kafka does not persist the high watermark).
    this.highWatermark = snapshot?.endOffset ?? 0;
    this.appliedOffset = this.highWatermark;
    this.pendingSnapshot = snapshot;
    if (snapshot && log.epochAt(snapshot.endOffset - 1) !== snapshot.epoch) {
      // The log lost the tail the snapshot covers (or never had it): restart from it.
      const bytes = log.readSnapshot(snapshot);
      if (bytes) log.installSnapshot(snapshot, bytes);
    }
    if (state.leaderId !== null && state.leaderId !== config.nodeId) {
      this.becomeFollower(state.epoch, state.leaderId, now);
    } else {
      // A node that led this epoch before a restart cannot lead it again (it would
      // append a second leader-change entry in the same epoch); it waits for the next.
      this.becomeUnattached(state.epoch, now);
    }
  }

  protected send(message: Unsent<QuorumMessage>): number {
    const correlationId = this.nextCorrelationId++;
    this.outbox.push({ ...message, from: this.config.nodeId, correlationId } as QuorumMessage);
    return correlationId;
  }

  protected reply(to: { from: NodeId; correlationId: number }, message: Unsent<QuorumMessage>): void {
    this.outbox.push({ ...message, to: to.from, from: this.config.nodeId, correlationId: to.correlationId } as QuorumMessage);
  }

  /** Records the directory id of a voter known without one (the rule and why it is
   * safe: vote-rules.ts, adoptDirectoryId). */
  protected adopt(id: NodeId, directoryId: string): void {
    const next = adoptDirectoryId(this.voters, id, directoryId);
    if (!next) return;
    this.voters = next;
    this.pendingVoters = next;
  }

  /** Whether a message from (id, directoryId) speaks for a voter: true for observers'
   * ids too (they count as themselves); false only for a voter's id from another disk. */
  protected sameDisk(id: NodeId, directoryId: string): boolean {
    return !this.voterIds.includes(id) || isVoter(this.voters, id, directoryId);
  }

  protected persist(next: ElectionState): void {
    this.state = next;
    this.pendingState = next;
  }

  /** Following a leader that answered within the fetch timeout. */
  protected leaderAlive(now: number): boolean {
    return this.role === "follower" && this.session !== null && now - this.session.lastContactMs < this.config.fetchTimeoutMs;
  }

  /** How long a follower waits for the answer to a fetch before sending it again: the
   * leader may hold a fetch for fetchMaxWaitMs (long poll), so the request timeout runs
   * after that. Waiting only requestTimeoutMs, an answer held that long plus the network
   * arrived after its resend, was dropped as stale, and a follower whose high watermark
   * the leader believed sent never learned it (a livelock the simulation found). */
  protected fetchRetryMs(): number {
    return this.config.fetchMaxWaitMs + this.config.requestTimeoutMs;
  }

  protected randomElectionTimeout(): number {
    return this.config.electionTimeoutMs + this.random.int(this.config.electionTimeoutMs);
  }

  protected majority(): number {
    return majorityOf(this.voterIds.length);
  }

  protected otherVoters(): NodeId[] {
    return this.voterIds.filter((id) => id !== this.config.nodeId);
  }

  private clearRole(): void {
    this.leader = null;
    this.session = null;
    this.grants = new Set();
    this.roundRequests = new Set();
    this.retryAt = Infinity;
    this.electionDeadline = Infinity;
  }

  /** No known leader. In a new epoch the vote and leader are forgotten; in the same
   * epoch they stay, so that no second vote is ever cast in it. */
  protected becomeUnattached(epoch: number, now: number, timeoutMs = this.randomElectionTimeout()): void {
    if (epoch > this.state.epoch) this.persist({ epoch, leaderId: null, votedId: null, votedDirectoryId: null });
    this.clearRole();
    this.role = "unattached";
    if (this.isVoter) this.electionDeadline = now + timeoutMs;
    // An observer never stands: it asks the voters who leads until one tells it.
    else this.session = new FetchSession(now);
  }

  protected becomeFollower(epoch: number, leaderId: NodeId, now: number): void {
    if (epoch > this.state.epoch) this.persist({ epoch, leaderId, votedId: null, votedDirectoryId: null });
    else if (this.state.leaderId !== leaderId) this.persist({ ...this.state, leaderId });
    this.clearRole();
    this.role = "follower";
    this.session = new FetchSession(now);
  }

  /** KIP-996: ask for pre-votes in epoch + 1 without changing any state, so that a node
   * that cannot win (cut off, or behind) never raises the epoch and disrupts a leader. */
  protected becomeProspective(now: number): void {
    this.clearRole();
    this.role = "prospective";
    this.grants.add(this.config.nodeId);
    this.electionDeadline = now + this.randomElectionTimeout();
    if (this.grants.size >= this.majority()) return this.becomeCandidate(now);
    this.requestVotes(true, now);
  }

  protected becomeCandidate(now: number): void {
    this.persist({
      epoch: this.state.epoch + 1,
      leaderId: null,
      votedId: this.config.nodeId,
      votedDirectoryId: this.config.directoryId,
    });
    this.clearRole();
    this.role = "candidate";
    this.grants.add(this.config.nodeId);
    this.electionDeadline = now + this.randomElectionTimeout();
    this.requestVotes(false, now);
    this.maybeWin(now);
  }

  /** A candidate with a majority leads, but only once its own epoch is on disk: its
   * entries of this epoch must never outlive, after a crash, the state that says it
   * stood in this epoch (or it could stand, win and write the epoch again). With other
   * voters this already holds, as votes answer requests sent after the write; a lone
   * voter waits for its own Ready. */
  protected maybeWin(now: number): void {
    if (this.role === "candidate" && this.grants.size >= this.majority() && this.durableEpoch >= this.state.epoch) {
      this.becomeLeader(now);
    }
  }

  protected requestVotes(preVote: boolean, now: number): void {
    const epoch = preVote ? this.state.epoch + 1 : this.state.epoch;
    for (const voter of this.voters) {
      if (voter.id === this.config.nodeId || this.grants.has(voter.id)) continue;
      const id = this.send({
        type: "vote-request",
        to: voter.id,
        epoch,
        candidateDirectoryId: this.config.directoryId,
        voterDirectoryId: voter.directoryId,
        lastEpoch: this.log.lastEpoch(),
        lastOffset: this.log.endOffset(),
        preVote,
      });
      this.roundRequests.add(id);
    }
    this.retryAt = now + this.config.requestTimeoutMs;
  }

  /** A new leader opens its epoch with a leader-change entry: committing it commits
   * every earlier entry (Raft §5.4.2; KRaft's LeaderChangeMessage). */
  protected becomeLeader(now: number): void {
    this.persist({ ...this.state, leaderId: this.config.nodeId });
    this.clearRole();
    this.role = "leader";
    const epochStart = this.log.endOffset();
    const marker = new TextEncoder().encode(JSON.stringify({ leaderId: this.config.nodeId, voters: this.voterIds }));
    this.log.append([{ offset: epochStart, epoch: this.state.epoch, kind: "leader-change", payload: marker }]);
    this.needFlush = true;
    const unsafe = this.config.testOnlyUnsafe?.commitOlderEpochsByCount === true;
    this.leader = new LeaderState(this.config.nodeId, this.state.epoch, epochStart, this.voterIds, now, epochStart, unsafe);
    this.sendBeginEpoch(now);
  }

  protected sendBeginEpoch(now: number): void {
    const leader = this.leader;
    if (!leader) return;
    for (const id of leader.beginEpochPending) {
      this.send({ type: "begin-epoch-request", to: id, epoch: leader.epoch, leaderId: this.config.nodeId });
    }
    leader.beginEpochRetryAt = now + this.config.requestTimeoutMs;
  }

  /** Check-quorum failed: stop acting as leader, tell the voters (EndQuorumEpoch, with
   * the most caught-up first), and stand again only after an election timeout. */
  protected resign(now: number): void {
    const successors = this.leader?.successors() ?? [];
    this.clearRole();
    this.role = "resigned";
    for (const id of this.otherVoters()) {
      this.send({ type: "end-epoch-request", to: id, epoch: this.state.epoch, leaderId: this.config.nodeId, preferredSuccessors: successors });
    }
    this.electionDeadline = now + this.randomElectionTimeout();
  }

  /** Raft's rule for any message: a later epoch moves this node to it; a leader named in
   * this epoch is followed. A node never follows two leaders in one epoch. */
  protected observeEpoch(epoch: number, leaderId: NodeId | null, now: number): void {
    if (epoch > this.state.epoch) {
      if (leaderId !== null && leaderId !== this.config.nodeId) this.becomeFollower(epoch, leaderId, now);
      else this.becomeUnattached(epoch, now);
      return;
    }
    if (epoch < this.state.epoch || leaderId === null || leaderId === this.config.nodeId) return;
    if (this.role === "leader" || this.role === "resigned") return;
    if (this.state.leaderId !== null && this.state.leaderId !== leaderId) return;
    if (this.role !== "follower") this.becomeFollower(epoch, leaderId, now);
  }
}
