/**
 * The metadata log on disk: the QuorumLog the quorum core reads and writes, kept in a
 * partition log of the storage engine (meta/__cluster_metadata-0/, as KRaft keeps its
 * log in the __cluster_metadata-0 folder) plus snapshot files beside it.
 *
 * The core's calls are synchronous and land in an in-memory image (a MemoryQuorumLog,
 * which the snapshots keep short); persist() then carries every change since the last
 * call to the partition log in order — a truncation with truncateTo, new entries with
 * appendAt — and flushes it. The driver runs persist() whenever a Ready asks for a
 * flush and before it sends that Ready's messages (ready.ts), so nothing is acknowledged
 * that a crash could lose.
 *
 * An entry is one record: the key says its kind ("data" or "leader-change"), the header
 * "epoch" its epoch, the value is the payload. Snapshots are files named
 * <endOffset>-<epoch>.snapshot, written atomically; trimming the prefix is logical (the
 * start offset follows the snapshot) and becomes physical once the log holds nothing past
 * the snapshot, when the partition log is emptied to start at the snapshot's end.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { PartitionLog } from "../storage/partition-log.ts";
import type { QuorumLog } from "./quorum/log.ts";
import { MemoryQuorumLog } from "./quorum/memory-log.ts";
import type { Entry, EntryKind, SnapshotId } from "./quorum/types.ts";

export const METADATA_LOG_DIR = "__cluster_metadata-0";
const SNAPSHOT_SUFFIX = ".snapshot";
const EPOCH_HEADER = "epoch";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class QuorumDiskLog implements QuorumLog {
  private readonly image: MemoryQuorumLog;
  /** Lowest offset changed since the last persist (a truncation point), or null. */
  private dirtyFrom: number | null = null;
  private snapshotsDirty = false;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly disk: PartitionLog,
    image: MemoryQuorumLog,
  ) {
    this.image = image;
  }

  /** Opens (or creates) the log in dir: the latest snapshot, then every entry after it. */
  static open(dir: string, warn: (message: string) => void = () => {}): QuorumDiskLog {
    mkdirSync(dir, { recursive: true });
    const disk = PartitionLog.open(join(dir, "log"), { fsync: "never", highWatermark: "log-end" }, warn);
    const image = new MemoryQuorumLog();
    const snapshot = latestSnapshotFile(dir);
    let from = disk.startOffset;
    if (snapshot) {
      image.installSnapshot(snapshot.id, readFileSync(snapshot.path));
      from = snapshot.id.endOffset;
    }
    if (from > disk.logEndOffset || from < disk.startOffset) {
      // The log does not reach the snapshot (a crash between the snapshot and the
      // emptying of the log, or the other way round): the snapshot is the truth.
      disk.truncateFullyAndStartAt(from);
    }
    for (let offset = from; offset < disk.logEndOffset; ) {
      const records = disk.read(offset, 1000, 64 << 20, { upTo: "log-end" });
      if (records.length === 0) break;
      image.append(records.map(toEntry));
      offset = records[records.length - 1]!.offset + 1;
    }
    return new QuorumDiskLog(dir, disk, image);
  }

  startOffset(): number {
    return this.image.startOffset();
  }

  endOffset(): number {
    return this.image.endOffset();
  }

  lastEpoch(): number {
    return this.image.lastEpoch();
  }

  epochAt(offset: number): number | null {
    return this.image.epochAt(offset);
  }

  read(offset: number, max: number): Entry[] {
    return this.image.read(offset, max);
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.image.append(entries);
    if (this.dirtyFrom === null) this.dirtyFrom = entries[0]!.offset;
  }

  truncateTo(offset: number): void {
    if (offset >= this.image.endOffset()) return;
    this.image.truncateTo(offset);
    this.dirtyFrom = this.dirtyFrom === null ? offset : Math.min(this.dirtyFrom, offset);
  }

  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | null {
    return this.image.endOffsetForEpoch(epoch);
  }

  latestSnapshot(): SnapshotId | null {
    return this.image.latestSnapshot();
  }

  createSnapshot(id: SnapshotId, bytes: Uint8Array): void {
    this.image.createSnapshot(id, bytes);
    this.snapshotsDirty = true;
  }

  /** The file snapshot `id` is kept in (named in a refusal when its bytes do not decode). */
  snapshotPath(id: SnapshotId): string {
    return join(this.dir, snapshotName(id));
  }

  readSnapshot(id: SnapshotId): Uint8Array | null {
    return this.image.readSnapshot(id);
  }

  trimPrefix(id: SnapshotId): void {
    this.image.trimPrefix(id);
    this.snapshotsDirty = true;
  }

  installSnapshot(id: SnapshotId, bytes: Uint8Array): void {
    this.image.installSnapshot(id, bytes);
    this.snapshotsDirty = true;
    // Everything on disk is replaced: the whole log restarts at the snapshot's end.
    this.dirtyFrom = -1;
  }

  /** The synchronous flush of the interface cannot wait for the disk; drivers call persist(). */
  flush(): void {
    throw new StreamNestError("INTERNAL_ERROR", "QuorumDiskLog is flushed with persist(), which the driver awaits");
  }

  /** True when persist() has something to write. */
  get dirty(): boolean {
    return this.dirtyFrom !== null || this.snapshotsDirty;
  }

  /** Writes every change since the last call to disk and flushes it to the device. */
  async persist(): Promise<void> {
    if (this.closed) throw new StreamNestError("STORAGE_ERROR", `the metadata log ${this.dir} is closed`);
    const from = this.dirtyFrom;
    const snapshots = this.snapshotsDirty;
    this.dirtyFrom = null;
    this.snapshotsDirty = false;
    try {
      await this.write(from, snapshots);
    } catch (error) {
      // Not written (a full disk, …): still owed, so the next persist, which the driver
      // awaits before it counts the log as flushed, tries again rather than skipping it.
      this.snapshotsDirty ||= snapshots;
      if (from !== null) this.dirtyFrom = this.dirtyFrom === null ? from : from === -1 || this.dirtyFrom === -1 ? -1 : Math.min(from, this.dirtyFrom);
      throw error;
    }
  }

  private async write(from: number | null, snapshots: boolean): Promise<void> {
    // The snapshot goes first: a trimmed log is only ever read together with it.
    if (snapshots) this.writeSnapshots();
    if (from !== null) {
      const start = this.image.startOffset();
      if (from === -1 || from < this.disk.startOffset) {
        this.disk.truncateFullyAndStartAt(start);
      } else if (from < this.disk.logEndOffset) {
        this.disk.truncateTo(from);
      }
      const at = this.disk.logEndOffset;
      const end = this.image.endOffset();
      if (at < end) {
        const entries = this.image.read(Math.max(at, start), end - Math.max(at, start));
        if (at < start) this.disk.truncateFullyAndStartAt(start);
        await this.disk.appendAt(this.disk.logEndOffset, entries.map(toRecord));
      }
    }
    // Physical trim: once nothing lies past the snapshot, the log restarts at its end.
    const snap = this.image.latestSnapshot();
    if (snap && snap.endOffset === this.image.endOffset() && this.disk.startOffset < snap.endOffset && this.disk.logEndOffset === snap.endOffset) {
      this.disk.truncateFullyAndStartAt(snap.endOffset);
    }
    await this.disk.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.disk.close();
  }

  private writeSnapshots(): void {
    const latest = this.image.latestSnapshot();
    if (!latest) return;
    const bytes = this.image.readSnapshot(latest);
    if (!bytes) return;
    const name = snapshotName(latest);
    const path = join(this.dir, name);
    if (!existsSync(path)) writeAtomically(this.dir, path, bytes);
    for (const file of readdirSync(this.dir)) {
      if (file.endsWith(SNAPSHOT_SUFFIX) && file !== name) rmSync(join(this.dir, file), { force: true });
    }
  }
}

function toRecord(entry: Entry) {
  return {
    key: encoder.encode(entry.kind),
    value: entry.payload,
    headers: [{ key: EPOCH_HEADER, value: encoder.encode(String(entry.epoch)) }],
    timestamp: 0,
  };
}

function toEntry(record: { offset: number; key: Uint8Array | null; value: Uint8Array | null; headers: { key: string; value: Uint8Array | null }[] }): Entry {
  const kind = record.key ? decoder.decode(record.key) : "";
  const epochHeader = record.headers.find((h) => h.key === EPOCH_HEADER)?.value;
  const epoch = epochHeader ? Number(decoder.decode(epochHeader)) : Number.NaN;
  if ((kind !== "data" && kind !== "leader-change") || !Number.isSafeInteger(epoch) || record.value === null) {
    throw new StreamNestError("CORRUPT_RECORD", `metadata log entry at offset ${record.offset} is not a quorum entry`);
  }
  return { offset: record.offset, epoch, kind: kind as EntryKind, payload: record.value };
}

function snapshotName(id: SnapshotId): string {
  return `${String(id.endOffset).padStart(20, "0")}-${id.epoch}${SNAPSHOT_SUFFIX}`;
}

function latestSnapshotFile(dir: string): { id: SnapshotId; path: string } | null {
  let best: { id: SnapshotId; path: string } | null = null;
  for (const file of readdirSync(dir)) {
    const match = /^(\d{20})-(\d+)\.snapshot$/.exec(file);
    if (!match) continue;
    const id = { endOffset: Number(match[1]), epoch: Number(match[2]) };
    if (!best || id.endOffset > best.id.endOffset) best = { id, path: join(dir, file) };
  }
  return best;
}

/** Write, fsync, rename, fsync the folder: a crash leaves the old file set or the new. */
export function writeAtomically(dir: string, path: string, bytes: Uint8Array): void {
  const temporary = `${path}.tmp`;
  try {
    const fd = openSync(temporary, "w");
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    const dirFd = openSync(dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new StreamNestError("STORAGE_ERROR", `cannot write ${path}: ${(error as Error).message}`);
  }
}
