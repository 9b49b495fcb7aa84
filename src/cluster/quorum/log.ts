/**
 * The log store the quorum core needs (the role of Kafka's ReplicatedLog). Calls are
 * synchronous and land in the store's buffers; nothing is durable until the driver
 * calls flush(), which the core asks for through Ready.flushLog. A crash may lose any
 * change made since the last flush, but a flush makes every earlier change durable.
 */
import type { Entry, SnapshotId } from "./types.ts";

export interface QuorumLog {
  /** First offset held in the log (the latest snapshot's end offset once trimmed). */
  startOffset(): number;
  /** One past the last offset held. */
  endOffset(): number;
  /** Epoch of the entry at endOffset - 1; the snapshot's epoch, or 0, when empty. */
  lastEpoch(): number;
  /** Epoch of the entry at offset, for startOffset - 1 <= offset < endOffset
   * (startOffset - 1 answers from the snapshot, or 0 at offset -1); null outside. */
  epochAt(offset: number): number | null;
  /** Up to max entries from offset (startOffset <= offset <= endOffset). */
  read(offset: number, max: number): Entry[];
  /** Appends entries whose offsets continue endOffset. */
  append(entries: readonly Entry[]): void;
  /** Removes every entry at or after offset. */
  truncateTo(offset: number): void;
  /** The largest epoch <= epoch that the log knows and the offset where it ends (Kafka's
   * leader-epoch cache lookup, KIP-101); null when the epoch is older than the log. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | null;
  latestSnapshot(): SnapshotId | null;
  /** Stores a snapshot of the applied state at id (taken by the driver). */
  createSnapshot(id: SnapshotId, bytes: Uint8Array): void;
  readSnapshot(id: SnapshotId): Uint8Array | null;
  /** Drops entries below the snapshot's end offset; the snapshot must exist. */
  trimPrefix(id: SnapshotId): void;
  /** Replaces the whole log by a snapshot fetched from the leader. */
  installSnapshot(id: SnapshotId, bytes: Uint8Array): void;
  /** Makes every change so far durable. Called by the driver, never by the core. */
  flush(): void;
}
