/**
 * Runs the pure QuorumCore for real (the driver quorum-core.ts outlines): one timer at
 * the core's next deadline, messages from the transport delivered with step(), and each
 * Ready carried out in the order ready.ts demands — election state written and fsynced,
 * then the metadata log persisted, then messages sent, then snapshot and committed
 * entries applied — before advance(). Readys are handled one at a time; input that
 * arrives meanwhile lands in the next.
 *
 * propose() appends on the leader and resolves once the entry comes out committed with
 * the offset and epoch it was given (Raft §5.3, §8: the same offset under another epoch
 * means a new leader replaced it, and it never will be committed).
 */
import { randomUUID } from "node:crypto";
import { StreamNestError } from "../lib/errors.ts";
import type { QuorumMessage } from "./quorum/messages.ts";
import { SeededRandom } from "./quorum/prng.ts";
import { QuorumCore } from "./quorum/quorum-core.ts";
import { QuorumStateFile } from "./quorum/quorum-state-file.ts";
import type { Ready } from "./quorum/ready.ts";
import { DEFAULT_TIMING, type Entry, type NodeId, type QuorumConfig, type QuorumStatus, type SnapshotId, type VoterKey } from "./quorum/types.ts";
import { QuorumDiskLog } from "./quorum-disk-log.ts";

export interface QuorumStateMachine {
  /** Replaces the applied state by a snapshot's (on start, or fetched from the leader). */
  loadSnapshot(id: SnapshotId, bytes: Uint8Array): void;
  /** Applies committed entries in order (leader-change entries included, which change
   * nothing but the version); every entry below endOffset is then applied. Answers one
   * outcome per entry, in order: its result, or the error that refused it on every
   * broker alike (a conflicting change). */
  apply(entries: readonly Entry[], endOffset: number): Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
  /** The applied state, for a snapshot. */
  snapshot(): Uint8Array;
}

export interface QuorumDriverOptions {
  nodeId: NodeId;
  voters: readonly VoterKey[];
  /** Folder of the quorum-state file and the metadata log (<dataDir>/meta). */
  dir: string;
  logDir: string;
  machine: QuorumStateMachine;
  /** Sends messages; delivery is best effort (the core retries what matters). */
  send: (messages: readonly QuorumMessage[]) => void;
  /** Writes the voter set durably (the core adopted a directory id, see
   * quorum/vote-rules.ts); it is done before any message of the same Ready leaves. */
  persistVoters?: (voters: readonly VoterKey[]) => void;
  /** Snapshot the applied state every this many committed entries… */
  snapshotEveryEntries: number;
  /** …or once the committed entries since the last snapshot hold this many bytes (KRaft's
   * metadata.log.max.record.bytes.between.snapshots), whichever comes first. */
  snapshotEveryBytes?: number;
  /** The metadata log, when the caller opened it already (to replay it before the quorum starts). */
  diskLog?: QuorumDiskLog;
  log?: (line: string) => void;
  timing?: Partial<Omit<QuorumConfig, "nodeId" | "directoryId" | "voters">>;
}

interface Waiter {
  offset: number;
  epoch: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class QuorumDriver {
  readonly core: QuorumCore;
  readonly diskLog: QuorumDiskLog;
  readonly directoryId: string;
  private readonly stateFile: QuorumStateFile;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private driving = false;
  private again = false;
  private stopped = false;
  private readonly waiters = new Map<number, Waiter>();
  private lastSnapshotEnd: number;
  /** Payload bytes of the entries applied since the last snapshot. */
  private bytesSinceSnapshot = 0;
  private lastLeader: NodeId | null = null;

  constructor(private readonly options: QuorumDriverOptions) {
    const { file, state } = QuorumStateFile.open(options.dir, randomUUID);
    this.stateFile = file;
    this.directoryId = file.directoryId;
    this.diskLog = options.diskLog ?? QuorumDiskLog.open(options.logDir, (m) => options.log?.(m));
    const seed = Number.parseInt(randomUUID().slice(0, 8), 16);
    this.core = new QuorumCore(
      { nodeId: options.nodeId, directoryId: file.directoryId, voters: options.voters, ...DEFAULT_TIMING, ...options.timing },
      state,
      this.diskLog,
      new SeededRandom(seed),
      Date.now(),
    );
    this.lastSnapshotEnd = this.diskLog.latestSnapshot()?.endOffset ?? 0;
  }

  start(): void {
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.core.resignLeadership(Date.now());
    await this.drive();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const waiter of this.waiters.values()) waiter.reject(unknownOutcome("this broker is shutting down"));
    this.waiters.clear();
    await this.diskLog.close();
  }

  /**
   * Stops leading (EndQuorumEpoch to the voters, as on shutdown) so that another voter
   * takes over; this node stands again only after an election timeout. Nothing happens on
   * a node that does not lead.
   */
  resign(): void {
    if (this.stopped) return;
    this.core.resignLeadership(Date.now());
    this.kick();
  }

  /** Delivers messages that arrived from the transport. */
  receive(messages: readonly QuorumMessage[]): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const message of messages) this.core.step(message, now);
    this.kick();
  }

  /** Appends a change on the leader and resolves with its applied result once committed. */
  propose(payload: Uint8Array): Promise<unknown> {
    if (this.stopped) return Promise.reject(new StreamNestError("NOT_CONTROLLER", "this broker is shutting down"));
    const { offset, epoch } = this.core.propose(payload, Date.now());
    const promise = new Promise<unknown>((resolve, reject) => this.waiters.set(offset, { offset, epoch, resolve, reject }));
    this.kick();
    return promise;
  }

  /** Voter `id` reported its own directory id (see QuorumCore.learnDirectoryId). */
  learnDirectoryId(id: NodeId, directoryId: string): void {
    if (this.stopped) return;
    this.core.learnDirectoryId(id, directoryId);
    this.kick();
  }

  /** Forgets a waiter whose caller gave up (its outcome stays unknown to the caller). */
  abandon(offset: number): void {
    this.waiters.delete(offset);
  }

  status(): QuorumStatus {
    return this.core.status();
  }

  get leaderId(): NodeId | null {
    return this.core.status().leaderId;
  }

  private kick(): void {
    void this.drive().catch((error: unknown) => {
      this.options.log?.(`Metadata quorum: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private async drive(): Promise<void> {
    if (this.driving) {
      this.again = true;
      return;
    }
    this.driving = true;
    try {
      do {
        this.again = false;
        while (!this.stopped && this.core.hasReady()) await this.handle(this.core.ready());
      } while (this.again && !this.stopped);
    } finally {
      this.driving = false;
      this.schedule();
      this.noteLeader();
    }
  }

  private async handle(ready: Ready): Promise<void> {
    if (ready.persistState) this.stateFile.write(ready.persistState);
    if (ready.persistVoters) this.options.persistVoters?.(ready.persistVoters);
    if (ready.flushLog || this.diskLog.dirty) await this.diskLog.persist();
    if (ready.messages.length > 0) this.options.send(ready.messages);
    if (ready.applySnapshot) {
      const bytes = this.diskLog.readSnapshot(ready.applySnapshot);
      if (bytes) this.options.machine.loadSnapshot(ready.applySnapshot, bytes);
      if (ready.applySnapshot.endOffset > this.lastSnapshotEnd) this.bytesSinceSnapshot = 0;
      this.lastSnapshotEnd = Math.max(this.lastSnapshotEnd, ready.applySnapshot.endOffset);
    }
    const last = ready.committed[ready.committed.length - 1];
    if (last) {
      for (const entry of ready.committed) this.bytesSinceSnapshot += entry.payload.byteLength;
      const outcomes = this.options.machine.apply(ready.committed, last.offset + 1);
      ready.committed.forEach((entry, i) => this.answer(entry, outcomes[i]));
      this.maybeSnapshot(last.offset + 1);
    }
    this.core.advance(ready, Date.now());
  }

  private answer(entry: Entry, outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined): void {
    const waiter = this.waiters.get(entry.offset);
    if (!waiter) return;
    this.waiters.delete(entry.offset);
    if (waiter.epoch !== entry.epoch) {
      waiter.reject(new StreamNestError("NOT_CONTROLLER", `the change was replaced by another leader's entry at offset ${entry.offset} before it was committed; it was not made, retry`));
    } else if (!outcome) {
      waiter.reject(new StreamNestError("INTERNAL_ERROR", `no outcome for the metadata entry at offset ${entry.offset}`));
    } else if (outcome.ok) {
      waiter.resolve(outcome.value);
    } else {
      waiter.reject(outcome.error);
    }
  }

  private maybeSnapshot(appliedEnd: number): void {
    const bytesDue = this.options.snapshotEveryBytes !== undefined && this.bytesSinceSnapshot >= this.options.snapshotEveryBytes;
    if (appliedEnd - this.lastSnapshotEnd < this.options.snapshotEveryEntries && !bytesDue) return;
    if (appliedEnd <= this.lastSnapshotEnd) return;
    const id = this.core.snapshotIdAt(appliedEnd);
    this.diskLog.createSnapshot(id, this.options.machine.snapshot());
    this.core.snapshotTaken(id);
    this.lastSnapshotEnd = appliedEnd;
    this.bytesSinceSnapshot = 0;
  }

  /** Says in the broker's log when the known leader changes. */
  private noteLeader(): void {
    const status = this.core.status();
    if (status.leaderId !== this.lastLeader) {
      this.options.log?.(`Metadata quorum: leader ${status.leaderId ?? "unknown"} in epoch ${status.epoch}`);
      this.lastLeader = status.leaderId;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const at = this.core.nextDeadline();
    if (at === this.timerAt && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (!Number.isFinite(at)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.core.tick(Date.now());
      this.kick();
    }, Math.max(0, at - Date.now()));
  }
}

export function unknownOutcome(why: string): StreamNestError {
  return new StreamNestError("REQUEST_TIMED_OUT", `${why}: the change may or may not have been made (unknown outcome); read the metadata to see`);
}
