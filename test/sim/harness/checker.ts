/**
 * The invariants checked after every simulation step (Raft paper §5.4, Figure 3; the
 * TLA+ specifications of Raft and KRaft): election safety, log matching, leader
 * completeness, state machine safety (applied state identical at every offset), no
 * vote granted twice in an epoch (across restarts), and nothing sent before the state
 * or log it depends on is durable.
 */
import type { QuorumMessage } from "../../../src/cluster/quorum/messages.ts";
import type { ElectionState, Entry, NodeId } from "../../../src/cluster/quorum/types.ts";

export class InvariantViolation extends Error {
  override readonly name = "InvariantViolation";
}

interface Seen {
  readonly entry: Entry;
  readonly previousEpoch: number | null;
}

export class Checker {
  private readonly leaders = new Map<number, NodeId>();
  /** Keyed by offset * 2^20 + epoch (an epoch never reaches 2^20 in a run). */
  private readonly entries = new Map<number, Seen>();
  /** The committed log, as the union of every node's high watermark. */
  readonly committed: Entry[] = [];
  private readonly appliedHashes = new Map<number, number>();
  private readonly votes = new Map<string, NodeId>();
  readonly violations: string[] = [];

  fail(message: string): never {
    this.violations.push(message);
    throw new InvariantViolation(message);
  }

  /** Election safety: at most one leader per epoch (Figure 3). */
  leaderSeen(epoch: number, node: NodeId): boolean {
    const known = this.leaders.get(epoch);
    if (known === undefined) {
      this.leaders.set(epoch, node);
      return true;
    }
    if (known !== node) this.fail(`election safety: nodes ${known} and ${node} both led epoch ${epoch}`);
    return false;
  }

  /** Log matching: one entry per (offset, epoch), always after the same epoch. */
  appended(node: NodeId, entry: Entry, previousEpoch: number | null): void {
    const key = entry.offset * 1_048_576 + entry.epoch;
    const seen = this.entries.get(key);
    if (!seen) {
      this.entries.set(key, { entry, previousEpoch });
      return;
    }
    if (seen.entry !== entry && !sameEntry(seen.entry, entry)) {
      this.fail(`log matching: node ${node} holds a different entry at offset ${entry.offset} epoch ${entry.epoch}`);
    }
    if (previousEpoch !== null && seen.previousEpoch !== null && previousEpoch !== seen.previousEpoch) {
      this.fail(`log matching: node ${node} has epoch ${previousEpoch} before offset ${entry.offset} epoch ${entry.epoch}, another node has ${seen.previousEpoch}`);
    }
  }

  /** A node's high watermark covers entry: it is committed and must never change. */
  committedAt(node: NodeId, entry: Entry): void {
    const known = this.committed[entry.offset];
    if (!known) {
      if (entry.offset !== this.committed.length) {
        // Another node committed past a gap only if it skipped through a snapshot.
        this.committed.length = Math.max(this.committed.length, entry.offset);
      }
      this.committed[entry.offset] = entry;
      return;
    }
    if (known !== entry && !sameEntry(known, entry)) {
      this.fail(`state machine safety: node ${node} committed offset ${entry.offset} as epoch ${entry.epoch}, it was epoch ${known.epoch}`);
    }
  }

  /** Leader completeness: a new leader holds every committed entry. */
  newLeaderHolds(node: NodeId, read: (offset: number) => Entry | null, logStart: number): void {
    for (let offset = logStart; offset < this.committed.length; offset++) {
      const known = this.committed[offset];
      if (!known) continue;
      const held = read(offset);
      if (!held || !sameEntry(held, known)) {
        this.fail(`leader completeness: new leader ${node} lacks committed offset ${offset} (epoch ${known.epoch})`);
      }
    }
  }

  applied(node: NodeId, offset: number, hash: number): void {
    if (!this.committed[offset]) this.fail(`node ${node} applied offset ${offset}, which is not committed`);
    const known = this.appliedHashes.get(offset);
    if (known === undefined) this.appliedHashes.set(offset, hash);
    else if (known !== hash) this.fail(`applied state differs at offset ${offset} on node ${node}`);
  }

  snapshotLoaded(node: NodeId, applied: number, hash: number): void {
    if (applied === 0) return;
    this.applied(node, applied - 1, hash);
  }

  /** A vote granted or requested may leave only once the state behind it is durable,
   * and no voter grants two candidates in one epoch, even across restarts. */
  sending(node: NodeId, message: QuorumMessage, durable: ElectionState): void {
    if (message.type === "vote-response" && message.granted && !message.preVote) {
      const covered = durable.epoch > message.epoch || (durable.epoch === message.epoch && durable.votedId === message.to);
      if (!covered) this.fail(`node ${node} granted its vote in epoch ${message.epoch} to ${message.to} before persisting it`);
      const key = `${node}:${message.epoch}`;
      const earlier = this.votes.get(key);
      if (earlier === undefined) this.votes.set(key, message.to);
      else if (earlier !== message.to) this.fail(`node ${node} voted for ${earlier} and ${message.to} in epoch ${message.epoch}`);
    }
    if (message.type === "vote-request" && !message.preVote) {
      const covered = durable.epoch > message.epoch || (durable.epoch === message.epoch && durable.votedId === node);
      if (!covered) this.fail(`node ${node} asked for votes in epoch ${message.epoch} before persisting its own vote`);
    }
  }

  epochsWithLeader(): number {
    return this.leaders.size;
  }
}

export function sameEntry(a: Entry, b: Entry): boolean {
  if (a.offset !== b.offset || a.epoch !== b.epoch || a.kind !== b.kind || a.payload.length !== b.payload.length) return false;
  for (let i = 0; i < a.payload.length; i++) if (a.payload[i] !== b.payload[i]) return false;
  return true;
}
