import type { EpochRun, ReplicaLogView } from "../../../src/cluster/replication/types.ts";

/**
 * A partition replica's log on the simulation's fake disk: records are values with the
 * epoch they were written in; the epoch entries follow storage's rules (a newer epoch
 * starts at the log end, truncation cuts entries at or after the cut). Everything
 * written is durable (acks=all in the simulation waits for what fsync=always gives).
 */
export class MemLog implements ReplicaLogView {
  startOffset = 0;
  values: string[] = [];
  epochs: EpochRun[] = [];
  highWatermark = 0;

  get logEndOffset(): number {
    return this.startOffset + this.values.length;
  }

  get latestEpoch(): number | null {
    return this.epochs.at(-1)?.epoch ?? null;
  }

  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | null {
    const latest = this.epochs.at(-1);
    if (!latest || epoch > latest.epoch) return null;
    if (epoch === latest.epoch) return { epoch, endOffset: this.logEndOffset };
    let higher = 0;
    while (this.epochs[higher].epoch <= epoch) higher++;
    const floor = higher > 0 ? this.epochs[higher - 1] : null;
    return { epoch: floor === null ? epoch : floor.epoch, endOffset: this.epochs[higher].startOffset };
  }

  assignEpoch(epoch: number): void {
    const latest = this.latestEpoch;
    if (latest !== null && epoch < latest) throw new Error(`epoch ${epoch} below latest ${latest}`);
    if (latest !== epoch) this.epochs.push({ epoch, startOffset: this.logEndOffset });
  }

  append(values: string[], epoch: number): number {
    this.assignEpoch(epoch);
    const base = this.logEndOffset;
    this.values.push(...values);
    return base;
  }

  truncateTo(offset: number): void {
    if (offset < this.startOffset || offset > this.logEndOffset) throw new Error(`truncate to ${offset} outside the log`);
    this.values.length = offset - this.startOffset;
    this.epochs = this.epochs.filter((e) => e.startOffset < offset);
    this.highWatermark = Math.min(this.highWatermark, offset);
  }

  truncateFullyAndStartAt(offset: number): void {
    this.startOffset = offset;
    this.values = [];
    this.epochs = [];
    this.highWatermark = offset;
  }

  setHighWatermark(offset: number): void {
    if (offset > this.logEndOffset) throw new Error(`HW ${offset} past LEO ${this.logEndOffset}`);
    this.highWatermark = Math.max(this.highWatermark, offset);
  }

  read(from: number, max: number): string[] {
    return this.values.slice(from - this.startOffset, from - this.startOffset + max);
  }

  valueAt(offset: number): string | undefined {
    return offset < this.startOffset ? undefined : this.values[offset - this.startOffset];
  }
}
