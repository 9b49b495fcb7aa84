/**
 * The controller quorum's core: a pure, deterministic state machine for Raft in KRaft's
 * dialect (Raft paper Figure 2; KIP-595 pull-based replication; KIP-996 pre-vote;
 * check-quorum). It owns no timer, socket or file: the driver passes the time into every
 * call, delivers messages with step(), calls tick() at nextDeadline(), and carries out
 * each Ready (persist, flush, send, apply) before advance(). See ready.ts for the order.
 *
 * A driver, in outline (test/sim/harness/sim-cluster.ts is a complete one):
 *   const { file, state } = QuorumStateFile.open(dir, randomUUID);
 *   const core = new QuorumCore({ nodeId, directoryId: file.directoryId, voters, ...timing },
 *                               state, log, new SeededRandom(seed), now());
 *   on message m:        core.step(m, now()); drive();
 *   at core.nextDeadline(): core.tick(now()); drive();
 *   to write:            core.propose(bytes, now()); drive();  // then wait for it in committed
 *   drive(): while (core.hasReady()) { const r = core.ready();
 *     if (r.persistState) file.write(r.persistState);  if (r.flushLog) log.flush();
 *     send(r.messages); if (r.applySnapshot) load(r.applySnapshot); apply(r.committed);
 *     core.advance(r, now()); }
 * A write is committed when an entry with its offset and epoch comes out in committed;
 * the same offset with another epoch means it was lost to a new leader (retry it).
 */
import { StreamNestError } from "../../lib/errors.ts";
import { ElectionMachine } from "./election-machine.ts";
import type { QuorumLog } from "./log.ts";
import type { QuorumMessage } from "./messages.ts";
import type { Random } from "./prng.ts";
import type { Ready } from "./ready.ts";
import type { ElectionState, Entry, NodeId, QuorumConfig, QuorumStatus, SnapshotId } from "./types.ts";

export class QuorumCore extends ElectionMachine {
  constructor(config: QuorumConfig, state: ElectionState, log: QuorumLog, random: Random, now: number) {
    super(config, state, log, random, now);
    // A follower restarted from its state file fetches from the leader it knew at once.
    this.pump(now);
  }

  /** Delivers one message addressed to this node. */
  step(message: QuorumMessage, now: number): void {
    if (message.to !== this.config.nodeId) return;
    this.handle(message, now);
    this.pump(now);
  }

  /** Runs every timer that is due at now. */
  tick(now: number): void {
    this.runTimers(now);
    this.pump(now);
  }

  /** Appends a change as the leader; it is committed once Ready.committed hands it out.
   * Refused with NOT_CONTROLLER anywhere but on the leader. */
  propose(payload: Uint8Array, now: number): { offset: number; epoch: number } {
    const leader = this.leader;
    if (this.role !== "leader" || !leader) {
      throw new StreamNestError("NOT_CONTROLLER", `node ${this.config.nodeId} is not the quorum leader (leader: ${this.state.leaderId ?? "unknown"}, epoch ${this.state.epoch})`);
    }
    const entry: Entry = { offset: this.log.endOffset(), epoch: leader.epoch, kind: "data", payload };
    this.log.append([entry]);
    this.needFlush = true;
    this.answerParkedFetches(now, true);
    return { offset: entry.offset, epoch: entry.epoch };
  }

  /** Graceful shutdown of a leader (KIP-595): stop leading now and send EndQuorumEpoch
   * naming the most caught-up voters, so that one of them stands at once instead of
   * waiting out the fetch timeout. Nothing happens on a node that does not lead. */
  resignLeadership(now: number): void {
    if (this.role === "leader") this.resign(now);
  }

  /** Voter `id` itself reported its directory id (the driver asked it directly): adopted
   * if none is recorded yet, under the same rule as an id heard in a request
   * (vote-rules.ts, adoptDirectoryId); the Ready then asks to persist the voters. */
  learnDirectoryId(id: NodeId, directoryId: string): void {
    this.adopt(id, directoryId);
  }

  /** The driver stored a snapshot of the applied state at id in the log store: the log
   * prefix it covers is trimmed (KIP-630). Only applied offsets can be snapshotted. */
  snapshotTaken(id: SnapshotId): void {
    if (id.endOffset > this.appliedOffset || id.endOffset > this.highWatermark) {
      throw new StreamNestError("INVALID_OFFSET", `snapshot at ${id.endOffset} is past the applied offset ${this.appliedOffset}`);
    }
    if (this.log.epochAt(id.endOffset - 1) !== id.epoch) {
      throw new StreamNestError("INVALID_REQUEST", `snapshot ${id.endOffset}/${id.epoch} does not match the log's epoch there`);
    }
    this.log.trimPrefix(id);
    this.needFlush = true;
  }

  /** The snapshot id for a snapshot of everything applied below endOffset. */
  snapshotIdAt(endOffset: number): SnapshotId {
    const epoch = this.log.epochAt(endOffset - 1);
    if (epoch === null) throw new StreamNestError("INVALID_OFFSET", `no entry at ${endOffset - 1} to snapshot at`);
    return { endOffset, epoch };
  }

  hasReady(): boolean {
    return (
      this.pendingState !== null ||
      this.pendingVoters !== null ||
      this.needFlush ||
      this.outbox.length > 0 ||
      this.pendingSnapshot !== null ||
      this.appliedOffset < this.highWatermark
    );
  }

  /** Takes the work the driver must do now; call advance(ready) once it is done. */
  ready(): Ready {
    let committed: Entry[] = [];
    const from = Math.max(this.appliedOffset, this.log.startOffset());
    if (from < this.highWatermark) committed = this.log.read(from, this.highWatermark - from);
    const ready: Ready = {
      persistState: this.pendingState,
      persistVoters: this.pendingVoters,
      flushLog: this.needFlush,
      messages: this.outbox,
      applySnapshot: this.pendingSnapshot,
      committed,
      logEndOffset: this.log.endOffset(),
      epoch: this.state.epoch,
    };
    this.pendingState = null;
    this.pendingVoters = null;
    this.needFlush = false;
    this.outbox = [];
    this.pendingSnapshot = null;
    this.appliedOffset = Math.max(this.appliedOffset, this.highWatermark);
    return ready;
  }

  /** The driver has done everything the Ready asked. A leader's flushed entries now
   * count towards its own majority. */
  advance(ready: Ready, now: number): void {
    if (ready.persistState) this.durableEpoch = Math.max(this.durableEpoch, ready.persistState.epoch);
    this.maybeWin(now);
    const leader = this.leader;
    if (ready.flushLog && leader && this.role === "leader" && ready.epoch === leader.epoch) {
      leader.flushedEndOffset = Math.max(leader.flushedEndOffset, ready.logEndOffset);
      this.updateHighWatermark(now);
    }
    this.pump(now);
  }

  /** The earliest time at which tick() has something to do. */
  nextDeadline(): number {
    return this.earliestTimer();
  }

  /** Cheap accessors for drivers and checkers that run after every step. */
  get currentRole(): QuorumStatus["role"] {
    return this.role;
  }

  get currentEpoch(): number {
    return this.state.epoch;
  }

  get committedOffset(): number {
    return this.highWatermark;
  }

  status(): QuorumStatus {
    return {
      nodeId: this.config.nodeId,
      role: this.role,
      isVoter: this.isVoter,
      epoch: this.state.epoch,
      leaderId: this.role === "leader" ? this.config.nodeId : this.role === "follower" ? this.state.leaderId : null,
      votedId: this.state.votedId,
      highWatermark: this.highWatermark,
      leaderHighWatermark:
        this.role === "leader"
          ? { value: this.highWatermark, requestSentAt: Number.POSITIVE_INFINITY }
          : this.role === "follower"
            ? this.leaderHighWatermark
            : { value: -1, requestSentAt: -Infinity },
      logStartOffset: this.log.startOffset(),
      logEndOffset: this.log.endOffset(),
      directoryId: this.config.directoryId,
      voters: this.voters,
      replicas: this.leader?.replicas() ?? [],
    };
  }
}
