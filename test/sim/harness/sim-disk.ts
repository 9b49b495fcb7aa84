/**
 * A fake disk for one simulated node: the quorum log and the election state each have
 * a live copy (what the process sees) and a durable copy (what survives a crash). A
 * flush makes the live log durable; a crash throws away what was not flushed, except
 * that a random prefix of plain appends may have reached the device anyway.
 */
import type { QuorumLog } from "../../../src/cluster/quorum/log.ts";
import { MemoryQuorumLog } from "../../../src/cluster/quorum/memory-log.ts";
import type { Random } from "../../../src/cluster/quorum/prng.ts";
import { type ElectionState, type Entry, INITIAL_ELECTION_STATE, type SnapshotId } from "../../../src/cluster/quorum/types.ts";

export interface LogWatcher {
  appended(entry: Entry, previousEpoch: number | null): void;
  truncated(offset: number): void;
}

export class SimDisk {
  durableState: ElectionState = INITIAL_ELECTION_STATE;
  log: TrackedLog;
  private durableLog = new MemoryQuorumLog();

  constructor(private readonly watcher: LogWatcher) {
    this.log = new TrackedLog(new MemoryQuorumLog(), this, watcher);
  }

  persistState(state: ElectionState): void {
    this.durableState = state;
  }

  flushed(inner: MemoryQuorumLog): void {
    this.durableLog = inner.clone();
  }

  /** Power loss: the process's view is replaced by what reached the device. */
  crash(random: Random): void {
    const recovered = this.durableLog.clone();
    const torn = this.log.unflushedAppendsOnly();
    if (torn) {
      const survive = random.int(torn.length + 1);
      for (const entry of torn.slice(0, survive)) recovered.append([entry]);
    }
    // What survived is on the device now: the next crash starts from it.
    this.durableLog = recovered.clone();
    this.log = new TrackedLog(recovered, this, this.watcher);
  }
}

/** The live log: a MemoryQuorumLog that reports changes to the checker and remembers
 * whether everything since the last flush was a plain append. */
export class TrackedLog implements QuorumLog {
  private appendsSinceFlush: Entry[] | null = [];

  constructor(
    private readonly inner: MemoryQuorumLog,
    private readonly disk: SimDisk,
    private readonly watcher: LogWatcher,
  ) {}

  unflushedAppendsOnly(): Entry[] | null {
    return this.appendsSinceFlush;
  }

  startOffset(): number {
    return this.inner.startOffset();
  }
  endOffset(): number {
    return this.inner.endOffset();
  }
  lastEpoch(): number {
    return this.inner.lastEpoch();
  }
  epochAt(offset: number): number | null {
    return this.inner.epochAt(offset);
  }
  read(offset: number, max: number): Entry[] {
    return this.inner.read(offset, max);
  }
  append(entries: readonly Entry[]): void {
    for (const entry of entries) {
      const previous = this.inner.epochAt(entry.offset - 1);
      this.inner.append([entry]);
      this.appendsSinceFlush?.push(entry);
      this.watcher.appended(entry, previous);
    }
  }
  truncateTo(offset: number): void {
    if (offset < this.inner.endOffset()) {
      this.appendsSinceFlush = null;
      this.watcher.truncated(offset);
    }
    this.inner.truncateTo(offset);
  }
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | null {
    return this.inner.endOffsetForEpoch(epoch);
  }
  latestSnapshot(): SnapshotId | null {
    return this.inner.latestSnapshot();
  }
  createSnapshot(id: SnapshotId, bytes: Uint8Array): void {
    this.appendsSinceFlush = null;
    this.inner.createSnapshot(id, bytes);
  }
  readSnapshot(id: SnapshotId): Uint8Array | null {
    return this.inner.readSnapshot(id);
  }
  trimPrefix(id: SnapshotId): void {
    this.appendsSinceFlush = null;
    this.inner.trimPrefix(id);
  }
  installSnapshot(id: SnapshotId, bytes: Uint8Array): void {
    this.appendsSinceFlush = null;
    this.inner.installSnapshot(id, bytes);
  }
  flush(): void {
    this.disk.flushed(this.inner);
    this.appendsSinceFlush = [];
  }
}
