/**
 * A deterministic simulation of a quorum: every node runs the real QuorumCore, driven
 * like a real broker would drive it, on a fake clock, a fake network (drop, delay,
 * reorder, duplicate, one-way and two-way cuts) and fake disks (crash loses what was
 * not flushed). Everything random comes from one seed, so a seed replays its run.
 * The checker runs after every event.
 */
import type { QuorumMessage } from "../../../src/cluster/quorum/messages.ts";
import { SeededRandom } from "../../../src/cluster/quorum/prng.ts";
import { QuorumCore } from "../../../src/cluster/quorum/quorum-core.ts";
import type { Ready } from "../../../src/cluster/quorum/ready.ts";
import type { Entry, NodeId, QuorumConfig, VoterKey } from "../../../src/cluster/quorum/types.ts";
import { Checker, sameEntry } from "./checker.ts";
import { EventQueue } from "./event-queue.ts";
import { SimDisk } from "./sim-disk.ts";
import type { NetworkFaults, Proposal, SimNode, SimOptions, Timing } from "./sim-types.ts";
import { SIM_TIMING } from "./sim-types.ts";
import { type Coverage, countCoverage, describe, emptyCoverage } from "./sim-trace.ts";
import { HashStateMachine } from "./state-machine.ts";

export type { NetworkFaults, Proposal, SimNode, SimOptions, Timing } from "./sim-types.ts";
export { SIM_TIMING } from "./sim-types.ts";

export class SimCluster {
  now = 0;
  readonly random: SeededRandom;
  readonly checker: Checker = new Checker();
  readonly nodes: SimNode[] = [];
  readonly network: NetworkFaults;
  readonly acked: Proposal[] = [];
  failedProposals = 0;
  events = 0;
  /** How often each interesting path ran, so tests can show the runs reach them. */
  readonly coverage: Coverage = emptyCoverage();
  readonly traceLines: string[] = [];
  private pending: Proposal[] = [];
  private readonly queue = new EventQueue();
  private readonly blocked = new Set<string>();
  private readonly voterKeys: VoterKey[];
  private readonly timing: Timing;
  private proposalSeq = 0;

  constructor(readonly options: SimOptions) {
    this.random = new SeededRandom(options.seed);
    this.timing = { ...SIM_TIMING, ...options.timing };
    this.network = { minDelayMs: 1, maxDelayMs: 8, dropRate: 0, duplicateRate: 0, longDelayRate: 0, longDelayMs: 0, ...options.network };
    const total = options.voters + (options.observers ?? 0);
    this.voterKeys = [];
    for (let id = 1; id <= options.voters; id++) this.voterKeys.push({ id, directoryId: options.legacyVoters ? null : `dir-${id}` });
    for (let id = 1; id <= total; id++) {
      const node: SimNode = {
        id, voter: id <= options.voters, directoryId: `dir-${id}`, recordedVoters: this.voterKeys, disk: this.newDisk(id), core: null,
        incarnation: 0, io: null, tickAt: Infinity, tickToken: 0, machine: new HashStateMachine(), checkedHw: 0,
      };
      this.nodes.push(node);
    }
    for (const node of this.nodes) this.boot(node);
  }

  node(id: NodeId): SimNode {
    const node = this.nodes[id - 1];
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  trace(line: () => string): void {
    if (!this.options.trace) return;
    this.traceLines.push(`${this.now}ms ${line()}`);
    if (this.traceLines.length > 400) this.traceLines.shift();
  }

  private newDisk(id: NodeId): SimDisk {
    return new SimDisk({
      appended: (entry, previousEpoch) => this.checker.appended(id, entry, previousEpoch),
      truncated: (offset) => {
        const node = this.node(id);
        this.coverage.truncations++;
        // Leader append-only (Figure 3): a leader never removes entries from its log.
        if (node.core?.currentRole === "leader") this.checker.fail(`leader ${id} truncated its own log to ${offset}`);
        if (offset < node.checkedHw) this.checker.fail(`node ${id} truncated its log to ${offset}, below its high watermark ${node.checkedHw}`);
      },
    });
  }

  private boot(node: SimNode): void {
    node.incarnation++;
    node.machine = new HashStateMachine();
    node.checkedHw = 0;
    node.io = null;
    node.tickAt = Infinity;
    const config: QuorumConfig = {
      nodeId: node.id,
      directoryId: node.directoryId,
      voters: node.recordedVoters,
      ...this.timing,
      testOnlyUnsafe: this.options.unsafe,
    };
    const seed = this.random.int(0x7fffffff);
    node.core = new QuorumCore(config, node.disk.durableState, node.disk.log, new SeededRandom(seed), this.now);
    node.checkedHw = node.core.committedOffset;
    this.trace(() => `node ${node.id} boots (incarnation ${node.incarnation})`);
    this.afterInput(node);
  }

  // ---- the driver: what a broker does with the core ----

  private afterInput(node: SimNode): void {
    this.startIo(node);
    this.scheduleTick(node);
  }

  private startIo(node: SimNode): void {
    const core = node.core;
    if (!core || node.io || !core.hasReady()) return;
    const ready = core.ready();
    node.io = ready;
    if (this.options.unsafe?.sendBeforePersist) this.sendAll(node, ready.messages);
    const [low, high] = this.options.diskLatencyMs ?? [0, 3];
    const incarnation = node.incarnation;
    this.queue.push(this.now + low + this.random.int(high - low + 1), () => {
      if (node.incarnation === incarnation && node.io === ready) this.completeIo(node, ready);
    });
  }

  private completeIo(node: SimNode, ready: Ready): void {
    const core = node.core;
    if (!core) return;
    if (ready.persistState) node.disk.persistState(ready.persistState);
    if (ready.persistVoters) {
      node.recordedVoters = ready.persistVoters;
      this.coverage.adoptions++;
    }
    if (ready.flushLog) node.disk.log.flush();
    if (!this.options.unsafe?.sendBeforePersist) this.sendAll(node, ready.messages);
    if (ready.applySnapshot) {
      const bytes = node.disk.log.readSnapshot(ready.applySnapshot);
      if (!bytes) this.checker.fail(`node ${node.id} was told to load snapshot ${ready.applySnapshot.endOffset}, which its log store lacks`);
      node.machine = HashStateMachine.decode(bytes);
      this.checker.snapshotLoaded(node.id, node.machine.applied, node.machine.hash);
    }
    for (const entry of ready.committed) {
      if (entry.offset !== node.machine.applied) {
        this.checker.fail(`node ${node.id} was handed offset ${entry.offset} to apply after ${node.machine.applied - 1}`);
      }
      node.machine.apply(entry);
      this.checker.applied(node.id, entry.offset, node.machine.hash);
    }
    node.io = null;
    core.advance(ready, this.now);
    this.maybeSnapshot(node, core);
    this.afterInput(node);
  }

  private maybeSnapshot(node: SimNode, core: QuorumCore): void {
    const every = this.options.snapshotEvery ?? 0;
    const log = node.disk.log;
    if (every <= 0 || node.machine.applied - log.startOffset() < every) return;
    const id = core.snapshotIdAt(node.machine.applied);
    log.createSnapshot(id, node.machine.encode());
    core.snapshotTaken(id);
    this.trace(() => `node ${node.id} snapshots at ${id.endOffset}`);
  }

  private sendAll(node: SimNode, messages: readonly QuorumMessage[]): void {
    for (const message of messages) {
      this.checker.sending(node.id, message, node.disk.durableState);
      this.transmit(message);
    }
  }

  private scheduleTick(node: SimNode): void {
    const core = node.core;
    if (!core) return;
    const deadline = core.nextDeadline();
    if (!Number.isFinite(deadline)) return;
    const at = Math.max(deadline, this.now);
    if (at >= node.tickAt) return;
    node.tickAt = at;
    const token = ++node.tickToken;
    this.queue.push(at, () => {
      if (node.tickToken !== token || !node.core) return;
      node.tickAt = Infinity;
      node.core.tick(this.now);
      this.afterInput(node);
      // A timer that stays due after its tick would spin the clock in place.
      if (node.core.nextDeadline() <= this.now) this.checker.fail(`node ${node.id} has a timer still due after tick`);
    });
  }

  // ---- the network ----

  private transmit(message: QuorumMessage): void {
    if (this.blocked.has(`${message.from}>${message.to}`)) return;
    if (this.random.next() < this.network.dropRate) return;
    const copies = this.random.next() < this.network.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const { minDelayMs, maxDelayMs, longDelayRate, longDelayMs } = this.network;
      let delay = minDelayMs + this.random.int(maxDelayMs - minDelayMs + 1);
      if (longDelayRate > 0 && this.random.next() < longDelayRate) delay += this.random.int(longDelayMs + 1);
      this.queue.push(this.now + delay, () => this.deliver(message));
    }
  }

  private deliver(message: QuorumMessage): void {
    const node = this.nodes[message.to - 1];
    if (!node?.core || this.blocked.has(`${message.from}>${message.to}`)) return;
    this.trace(() => `${message.from}->${message.to} ${describe(message)}`);
    countCoverage(this.coverage, message);
    node.core.step(message, this.now);
    this.afterInput(node);
  }

  cut(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
  }

  cutBoth(a: NodeId, b: NodeId): void {
    this.cut(a, b);
    this.cut(b, a);
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes) if (other.id !== id) this.cutBoth(id, other.id);
  }

  /** Restores both directions of one link (other cuts stay). */
  connect(a: NodeId, b: NodeId): void {
    this.blocked.delete(`${a}>${b}`);
    this.blocked.delete(`${b}>${a}`);
  }

  heal(): void {
    this.blocked.clear();
  }

  // ---- faults on nodes ----

  crash(id: NodeId): void {
    const node = this.node(id);
    if (!node.core) return;
    node.core = null;
    node.io = null;
    node.incarnation++;
    node.disk.crash(this.random);
    this.coverage.crashes++;
    this.trace(() => `node ${id} crashes`);
  }

  /** A clean stop: a leader resigns first (EndQuorumEpoch), its last writes complete,
   * then the process goes away. */
  stopGracefully(id: NodeId): void {
    const node = this.node(id);
    if (!node.core) return;
    node.core.resignLeadership(this.now);
    this.afterInput(node);
    const incarnation = node.incarnation;
    this.queue.push(this.now + 30, () => {
      if (node.incarnation === incarnation) this.crash(id);
    });
  }

  /** Crashes the node and replaces its disk by an empty one with a new directory id. Its
   * voters file is gone too: it learns the voters again from a peer (the lowest other
   * id unless `from` names one), as a broker's formation does. */
  wipe(id: NodeId, from?: NodeId): void {
    const node = this.node(id);
    this.crash(id);
    node.disk = this.newDisk(id);
    node.directoryId = `dir-${id}-wiped-${node.incarnation}`;
    this.coverage.wipes++;
    node.recordedVoters = this.node(from ?? this.nodes.find((n) => n.id !== id)!.id).recordedVoters;
    this.trace(() => `node ${id} loses its disk`);
  }

  restart(id: NodeId): void {
    const node = this.node(id);
    if (!node.core) this.boot(node);
  }

  // ---- clients ----

  /** A client proposal at node id, if that node believes it leads. */
  propose(id: NodeId): Proposal | null {
    const core = this.node(id).core;
    if (!core || core.currentRole !== "leader") return null;
    const payload = new TextEncoder().encode(`p${this.proposalSeq++}`);
    const at = core.propose(payload, this.now);
    const proposal = { node: id, offset: at.offset, epoch: at.epoch, payload, at: this.now };
    this.pending.push(proposal);
    this.afterInput(this.node(id));
    return proposal;
  }

  leaders(): NodeId[] {
    return this.nodes.filter((n) => n.core?.currentRole === "leader").map((n) => n.id);
  }

  at(time: number, run: () => void): void {
    this.queue.push(time, run);
  }

  // ---- running and checking ----

  runUntil(time: number): void {
    while (this.queue.peekTime() <= time) {
      const event = this.queue.pop();
      if (!event) break;
      this.now = event.at;
      this.events++;
      event.run();
      this.check();
    }
    this.now = Math.max(this.now, time);
  }

  /** Runs until done() holds (checked after every event) or the limit; the time or null. */
  runUntilTrue(done: () => boolean, limit: number): number | null {
    for (;;) {
      // done() may itself add events (a client proposing), so it runs before the peek.
      if (done()) return this.now;
      if (this.queue.peekTime() > limit) return null;
      const event = this.queue.pop();
      if (!event) return null;
      this.now = event.at;
      this.events++;
      event.run();
      this.check();
    }
  }

  private check(): void {
    for (const node of this.nodes) {
      const core = node.core;
      if (!core) continue;
      if (core.currentRole === "leader" && this.checker.leaderSeen(core.currentEpoch, node.id)) {
        this.coverage.elections++;
        const log = node.disk.log;
        this.checker.newLeaderHolds(node.id, (o) => (o < log.endOffset() ? (log.read(o, 1)[0] ?? null) : null), log.startOffset());
      }
      const hw = core.committedOffset;
      if (hw > node.disk.log.endOffset()) this.checker.fail(`node ${node.id}'s high watermark ${hw} is past its log end ${node.disk.log.endOffset()}`);
      if (hw < node.checkedHw) this.checker.fail(`node ${node.id}'s high watermark went back from ${node.checkedHw} to ${hw}`);
      if (hw > node.checkedHw) {
        const log = node.disk.log;
        const from = Math.max(node.checkedHw, log.startOffset());
        if (from < hw) for (const entry of log.read(from, hw - from)) this.checker.committedAt(node.id, entry);
        node.checkedHw = hw;
      }
    }
    if (this.pending.length > 0 && this.checker.committed.length !== this.settledAt) this.settleProposals();
  }

  private settledAt = 0;

  private settleProposals(): void {
    this.settledAt = this.checker.committed.length;
    this.pending = this.pending.filter((p) => {
      const committed: Entry | undefined = this.checker.committed[p.offset];
      if (!committed) return true;
      const same = committed.epoch === p.epoch && sameEntry(committed, { ...committed, payload: p.payload });
      if (same) this.acked.push(p);
      else this.failedProposals++;
      return false;
    });
  }
}
