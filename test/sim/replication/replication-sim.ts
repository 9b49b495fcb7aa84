/**
 * The replication core on a fake clock, network and disk: three brokers replicate one
 * partition through LeaderState and the follower functions, metadata changes go through
 * the real `applyChange` (the quorum's compare-and-set of AlterPartition), each broker
 * learns committed metadata after its own delay (so deposed leaders linger as zombies),
 * fetches and answers are delayed and dropped, brokers crash and restart, and a
 * controller fences a broker silent for the session timeout. Safety is checked after
 * every event; `heal` then runs without faults so the end state can be checked too.
 */
import { afterBrokerDown, preferredLeader } from "../../../src/cluster/replication/election.ts";
import { epochRunsFor, followerHighWatermark, nextFetch, truncationFor } from "../../../src/cluster/replication/follower-fetch.ts";
import { LeaderState } from "../../../src/cluster/replication/leader-state.ts";
import type { EpochRun, FetchVerdict, PartitionRegistration, ReplicaFetch } from "../../../src/cluster/replication/types.ts";
import { SeededRandom } from "../../../src/cluster/quorum/prng.ts";
import { applyChange, emptyMetadata, isrOf, type MetadataDocument, partitionEpochOf } from "../../../src/broker/metadata.ts";
import { MemLog } from "./mem-log.ts";

const TOPIC = "t";
const LAG_MS = 100;
const SESSION_MS = 150;
const MIN_ISR = 2;

interface SimBroker {
  id: number;
  log: MemLog;
  alive: boolean;
  incarnation: number;
  known: PartitionRegistration;
  leader: LeaderState | null;
  fetching: boolean;
}

interface Answer {
  verdict: FetchVerdict | { kind: "not-leader" };
  values: string[];
  runs: EpochRun[];
  highWatermark: number;
  fetchOffset: number;
}

export class ReplicationSim {
  readonly rng: SeededRandom;
  now = 0;
  doc: MetadataDocument;
  readonly brokers: SimBroker[] = [];
  readonly acked = new Map<number, string>();
  private pending: Array<{ broker: number; incarnation: number; epoch: number; offset: number; value: string }> = [];
  private queue: Array<{ at: number; seq: number; run: () => void }> = [];
  private seq = 0;
  private produced = 0;
  faults = true;
  producing = true;
  readonly trace: string[] = [];
  elections = 0;

  constructor(seed: number) {
    this.rng = new SeededRandom(seed);
    const replicas = [1, 2, 3];
    const created = applyChange(emptyMetadata(), {
      type: "create-topic",
      topic: TOPIC,
      topicId: "id",
      partitions: [{ partition: 0, replicas, leader: 1, leaderEpoch: 0, isr: replicas, partitionEpoch: 0 }],
      createdAt: 0,
      replicationFactor: 3,
      minInsyncReplicas: MIN_ISR,
    });
    this.doc = created.document;
    for (const id of replicas) {
      const b: SimBroker = { id, log: new MemLog(), alive: true, incarnation: 0, known: this.registration(), leader: null, fetching: false };
      this.brokers.push(b);
      this.learn(b);
    }
  }

  registration(): PartitionRegistration {
    const p = this.doc.topics.get(TOPIC)!.partitions[0];
    return { replicas: p.replicas, isr: isrOf(p), leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: partitionEpochOf(p) };
  }

  private at(delay: number, run: () => void): void {
    const event = { at: this.now + delay, seq: this.seq++, run };
    // Sorted insert (by time, then by order of scheduling): a binary search from the end.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.queue[mid].at <= event.at) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, event);
  }

  /** Runs until `until` (simulated ms), with faults while `this.faults`. */
  run(until: number): void {
    for (let t = this.now; t < until; t += 10) {
      this.at(t - this.now, () => this.tick());
    }
    while (this.queue.length > 0) {
      if (this.queue[0].at > until) break;
      const next = this.queue.shift()!;
      this.now = next.at;
      next.run();
      this.check();
    }
    this.now = until;
  }

  private tick(): void {
    if (this.faults) {
      const roll = this.rng.next();
      if (roll < 0.01) this.crash(this.pick((b) => b.alive));
      else if (roll < 0.03) this.restart(this.pick((b) => !b.alive));
    }
    if (this.producing && this.rng.next() < 0.6) this.produce();
    for (const b of this.brokers) {
      if (!b.alive) continue;
      if (b.leader) {
        const shrink = b.leader.shrinkFor(this.now, LAG_MS);
        if (shrink) this.propose(b, { leader: b.id, leaderEpoch: shrink.leaderEpoch, isr: shrink.isr }, shrink.leaderEpoch, shrink.partitionEpoch);
      } else if (!b.fetching && b.known.leader !== b.id) this.fetch(b);
    }
    this.controller();
  }

  private pick(test: (b: SimBroker) => boolean): SimBroker | undefined {
    const candidates = this.brokers.filter(test);
    return candidates.length === 0 ? undefined : candidates[this.rng.int(candidates.length)];
  }

  private lastSeen = new Map<number, number>();

  /** Fences a broker dead for the session timeout; moves leadership back to the preferred replica. */
  private controller(): void {
    for (const b of this.brokers) if (b.alive) this.lastSeen.set(b.id, this.now);
    const isAlive = (id: number) => this.now - (this.lastSeen.get(id) ?? 0) < SESSION_MS;
    for (const b of this.brokers) {
      if (isAlive(b.id)) continue;
      const next = afterBrokerDown(b.id, { registration: this.registration(), isAlive });
      if (next) this.commit(next, this.registration());
    }
    const preferred = preferredLeader({ registration: this.registration(), isAlive });
    if (preferred && this.rng.next() < 0.05) this.commit(preferred, this.registration());
  }

  private propose(b: SimBroker, to: { leader: number; leaderEpoch: number; isr: number[] }, leaderEpoch: number, partitionEpoch: number): void {
    const incarnation = b.incarnation;
    this.at(5 + this.rng.int(25), () => {
      const before = this.registration();
      try {
        this.applyAlter({ ...to, partitionEpoch: partitionEpoch + 1 }, leaderEpoch, partitionEpoch);
      } catch {
        // refused: a newer registration was committed meanwhile
        if (b.incarnation === incarnation && b.leader) b.leader.proposalRefused();
      }
      if (this.registration().partitionEpoch !== before.partitionEpoch) this.spread();
    });
  }

  private commit(next: PartitionRegistration, from: PartitionRegistration): void {
    this.applyAlter(next, from.leaderEpoch, from.partitionEpoch);
    if (next.leaderEpoch !== from.leaderEpoch) {
      this.elections++;
      // Leader completeness: an elected ISR member holds every acknowledged record.
      const leader = this.brokers[next.leader - 1];
      for (const [offset, value] of this.acked)
        if (leader.log.valueAt(offset) !== value && offset >= leader.log.startOffset)
          throw new Error(`broker ${leader.id} elected in epoch ${next.leaderEpoch} lacks acknowledged ${value} at offset ${offset}`);
    }
    this.spread();
  }

  private applyAlter(next: { leader: number; leaderEpoch: number; isr: readonly number[]; partitionEpoch: number }, leaderEpoch: number, partitionEpoch: number): void {
    this.doc = applyChange(this.doc, {
      type: "alter-partition",
      topic: TOPIC,
      topicId: "id",
      partition: 0,
      leader: next.leader,
      isr: [...next.isr],
      leaderEpoch: next.leaderEpoch,
      partitionEpoch: next.partitionEpoch,
      expectedLeaderEpoch: leaderEpoch,
      expectedPartitionEpoch: partitionEpoch,
    }).document;
    this.trace.push(`${this.now}: partition now leader ${next.leader} epoch ${next.leaderEpoch} isr [${next.isr.join(",")}]`);
  }

  /** Each live broker learns the committed registration after its own delay. */
  private spread(): void {
    for (const b of this.brokers) {
      const incarnation = b.incarnation;
      this.at(this.rng.int(this.faults ? 60 : 5), () => {
        if (b.alive && b.incarnation === incarnation) this.learn(b);
      });
    }
  }

  private learn(b: SimBroker): void {
    const reg = this.registration();
    if (reg.partitionEpoch < b.known.partitionEpoch) return;
    b.known = reg;
    if (b.leader && !b.leader.update(reg, b.log.logEndOffset)) b.leader = null;
    if (!b.leader && reg.leader === b.id) {
      // Becoming leader: its epoch starts at its log end (Kafka's makeLeader).
      b.log.assignEpoch(reg.leaderEpoch);
      b.leader = new LeaderState(b.id, reg, b.log.logEndOffset, b.log.highWatermark, this.now);
    }
  }

  private produce(): void {
    const b = this.pick((x) => x.alive && x.leader !== null);
    if (!b || !b.leader) return;
    if (b.leader.isr.length < MIN_ISR) return;
    const value = `v${this.produced++}`;
    const offset = b.log.append([value], b.known.leaderEpoch);
    this.pending.push({ broker: b.id, incarnation: b.incarnation, epoch: b.known.leaderEpoch, offset, value });
    const hw = b.leader.leaderAppended(b.log.logEndOffset, this.now);
    if (hw !== null) b.log.setHighWatermark(hw);
    this.settleAcks();
  }

  private settleAcks(): void {
    this.pending = this.pending.filter((p) => {
      const b = this.brokers[p.broker - 1];
      if (!b.alive || b.incarnation !== p.incarnation || !b.leader || b.known.leaderEpoch !== p.epoch) return false; // outcome unknown
      if (b.leader.highWatermark <= p.offset) return true;
      if (b.leader.isr.length < MIN_ISR) return false; // written, but not acknowledged
      const already = this.acked.get(p.offset);
      if (already !== undefined && already !== p.value) throw new Error(`offset ${p.offset} acknowledged as ${already} and as ${p.value}`);
      this.acked.set(p.offset, p.value);
      this.trace.push(`${this.now}: broker ${b.id} acks ${p.value} at ${p.offset} (HW ${b.leader.highWatermark}, ISR [${b.leader.isr.join(",")}])`);
      return false;
    });
  }

  private fetch(b: SimBroker): void {
    const request = nextFetch(b.id, b.known.leaderEpoch, b.log);
    const leader = this.brokers[b.known.leader - 1];
    const incarnation = b.incarnation;
    b.fetching = true;
    const lost = this.faults && this.rng.next() < 0.05;
    this.at(1 + this.rng.int(20), () => {
      if (lost || !leader.alive) return this.at(30, () => b.incarnation === incarnation && (b.fetching = false));
      const answer = this.serve(leader, request);
      this.at(1 + this.rng.int(20), () => {
        if (b.incarnation !== incarnation || !b.alive) return;
        b.fetching = false;
        if (!(this.faults && this.rng.next() < 0.05)) this.receive(b, request, answer);
      });
    });
  }

  private serve(leader: SimBroker, request: ReplicaFetch): Answer {
    const base = { values: [], runs: [], highWatermark: leader.log.highWatermark, fetchOffset: request.fetchOffset };
    if (!leader.leader) return { ...base, verdict: { kind: "not-leader" } };
    const verdict = leader.leader.validate(request, leader.log);
    if (verdict.kind !== "read") return { ...base, verdict };
    const { highWatermark, expand } = leader.leader.recordFetch(request, leader.log, this.now);
    if (highWatermark !== null) leader.log.setHighWatermark(highWatermark);
    if (expand) this.propose(leader, { leader: leader.id, leaderEpoch: expand.leaderEpoch, isr: expand.isr }, expand.leaderEpoch, expand.partitionEpoch);
    this.settleAcks();
    const values = leader.log.read(request.fetchOffset, 1 + this.rng.int(20));
    return { verdict, values, runs: epochRunsFor(leader.log.epochs, request.fetchOffset, values.length), highWatermark: leader.log.highWatermark, fetchOffset: request.fetchOffset };
  }

  private receive(b: SimBroker, request: ReplicaFetch, answer: Answer): void {
    if (b.known.leaderEpoch !== request.leaderEpoch || b.leader) return;
    const v = answer.verdict;
    if (v.kind === "diverging") {
      const cut = truncationFor(b.log, v);
      this.trace.push(`${this.now}: broker ${b.id} (LEO ${b.log.logEndOffset}, epochs ${JSON.stringify(b.log.epochs)}) told diverging ${JSON.stringify(v)}: ${cut.kind} ${cut.offset}`);
      if (cut.kind === "truncate") b.log.truncateTo(cut.offset);
      else b.log.truncateFullyAndStartAt(cut.offset);
      return;
    }
    if (v.kind === "start-over") return b.log.truncateFullyAndStartAt(v.startOffset);
    if (v.kind !== "read" || answer.fetchOffset !== b.log.logEndOffset) return;
    for (let i = 0; i < answer.runs.length; i++) {
      const from = answer.runs[i].startOffset;
      const to = answer.runs[i + 1]?.startOffset ?? answer.fetchOffset + answer.values.length;
      b.log.append(answer.values.slice(from - answer.fetchOffset, to - answer.fetchOffset), answer.runs[i].epoch);
    }
    b.log.setHighWatermark(followerHighWatermark(answer.highWatermark, b.log));
  }

  private crash(b: SimBroker | undefined): void {
    if (!b) return;
    b.alive = false;
    b.incarnation++;
    b.leader = null;
    b.fetching = false;
    this.trace.push(`${this.now}: broker ${b.id} crashes`);
  }

  private restart(b: SimBroker | undefined): void {
    if (!b) return;
    b.alive = true;
    this.trace.push(`${this.now}: broker ${b.id} restarts`);
    this.learn(b);
  }

  /** Replicas identical below their high watermarks; no acknowledged record moved on the leader. */
  check(): void {
    for (const a of this.brokers)
      for (const b of this.brokers) {
        if (a.id >= b.id) continue;
        const below = Math.min(a.log.highWatermark, b.log.highWatermark);
        const from = Math.max(a.log.startOffset, b.log.startOffset);
        for (let o = from; o < below; o++)
          if (a.log.valueAt(o) !== b.log.valueAt(o))
            throw new Error(`brokers ${a.id} and ${b.id} differ at offset ${o} below their high watermarks`);
      }
    for (const b of this.brokers)
      for (const [offset, value] of this.acked)
        if (offset < b.log.highWatermark && b.log.valueAt(offset) !== value)
          throw new Error(`broker ${b.id} holds ${b.log.valueAt(offset)} at acknowledged offset ${offset} (${value})`);
  }

  /** After healing: every broker up, in the ISR, holding every acknowledged record. */
  healed(): void {
    this.faults = false;
    for (const b of this.brokers) if (!b.alive) this.restart(b);
    this.run(this.now + 2000);
    // Quiesce: followers catch up to a log end that stands still, and rejoin the ISR.
    this.producing = false;
    this.run(this.now + 2000);
    const reg = this.registration();
    if (reg.isr.length !== 3) throw new Error(`ISR [${reg.isr.join(",")}] not full after healing`);
    for (const b of this.brokers)
      for (const [offset, value] of this.acked)
        if (b.log.valueAt(offset) !== value) throw new Error(`after healing broker ${b.id} lacks acknowledged ${value} at ${offset}`);
  }
}
