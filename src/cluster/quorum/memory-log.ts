/**
 * An in-memory QuorumLog: the reference implementation of the interface, used by the
 * simulation's fake disk and by unit tests. flush() is a no-op here; durability is
 * modelled by whoever wraps it.
 */
import { StreamNestError } from "../../lib/errors.ts";
import type { QuorumLog } from "./log.ts";
import type { Entry, SnapshotId } from "./types.ts";

export class MemoryQuorumLog implements QuorumLog {
  private start = 0;
  private entries: Entry[] = [];
  private snapshots: Array<{ id: SnapshotId; bytes: Uint8Array }> = [];

  /** A copy sharing the (immutable) entries, for a fake disk's durable image. */
  clone(): MemoryQuorumLog {
    const copy = new MemoryQuorumLog();
    copy.start = this.start;
    copy.entries = this.entries.slice();
    copy.snapshots = this.snapshots.slice();
    return copy;
  }

  startOffset(): number {
    return this.start;
  }

  endOffset(): number {
    return this.start + this.entries.length;
  }

  lastEpoch(): number {
    const last = this.entries[this.entries.length - 1];
    if (last) return last.epoch;
    return this.snapshotEpochAtStart() ?? 0;
  }

  epochAt(offset: number): number | null {
    if (offset === this.start - 1) return this.snapshotEpochAtStart();
    const entry = this.entries[offset - this.start];
    return offset >= this.start && entry ? entry.epoch : null;
  }

  read(offset: number, max: number): Entry[] {
    if (offset < this.start || offset > this.endOffset()) {
      throw new StreamNestError("OFFSET_OUT_OF_RANGE", `quorum log read at ${offset} outside [${this.start}, ${this.endOffset()}]`);
    }
    return this.entries.slice(offset - this.start, offset - this.start + max);
  }

  append(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.offset !== this.endOffset()) {
        throw new StreamNestError("INVALID_OFFSET", `quorum log append at ${entry.offset}, end offset is ${this.endOffset()}`);
      }
      if (entry.epoch < this.lastEpoch()) {
        throw new StreamNestError("INVALID_REQUEST", `quorum log append of epoch ${entry.epoch} after epoch ${this.lastEpoch()}`);
      }
      this.entries.push(entry);
    }
  }

  truncateTo(offset: number): void {
    if (offset < this.start) {
      throw new StreamNestError("INVALID_OFFSET", `quorum log truncation to ${offset} below its start ${this.start}`);
    }
    if (offset < this.endOffset()) this.entries.length = offset - this.start;
  }

  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | null {
    const lastEpoch = this.lastEpoch();
    if (epoch >= lastEpoch) return { epoch: lastEpoch, endOffset: this.endOffset() };
    // The first entry of a later epoch ends the asked one; the epoch that ends there is
    // the one just before it (or the snapshot's, at the log start).
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.entries[mid]!.epoch > epoch) high = mid;
      else low = mid + 1;
    }
    const endOffset = this.start + low;
    const found = this.epochAt(endOffset - 1);
    if (found === null || found > epoch) return null;
    return { epoch: found, endOffset };
  }

  latestSnapshot(): SnapshotId | null {
    return this.snapshots[this.snapshots.length - 1]?.id ?? null;
  }

  createSnapshot(id: SnapshotId, bytes: Uint8Array): void {
    const latest = this.latestSnapshot();
    if (latest && latest.endOffset >= id.endOffset) return;
    // Older snapshots are dropped: a snapshot only ever replaces an older one.
    this.snapshots = [{ id, bytes }];
  }

  readSnapshot(id: SnapshotId): Uint8Array | null {
    const found = this.snapshots.find((s) => s.id.endOffset === id.endOffset && s.id.epoch === id.epoch);
    return found?.bytes ?? null;
  }

  trimPrefix(id: SnapshotId): void {
    if (!this.readSnapshot(id)) {
      throw new StreamNestError("INVALID_REQUEST", `no snapshot at ${id.endOffset}/${id.epoch} to trim the quorum log to`);
    }
    if (id.endOffset <= this.start) return;
    const drop = Math.min(id.endOffset, this.endOffset()) - this.start;
    this.entries = this.entries.slice(drop);
    this.start = id.endOffset;
  }

  installSnapshot(id: SnapshotId, bytes: Uint8Array): void {
    this.snapshots = [{ id, bytes }];
    this.entries = [];
    this.start = id.endOffset;
  }

  flush(): void {}

  /** The epoch "before" the first entry: the snapshot's, or 0 for a log from offset 0. */
  private snapshotEpochAtStart(): number | null {
    if (this.start === 0) return 0;
    const snap = this.latestSnapshot();
    return snap && snap.endOffset === this.start ? snap.epoch : null;
  }
}
