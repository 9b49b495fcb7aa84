import { CORE_LIMITS } from "../config/core.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import type { StoredRecord } from "../storage/types.ts";
import { visibleEnd } from "./wait-for-append.ts";

/**
 * Live tails of one partition read the same batches: readers waiting at the end all
 * wake on the same append and ask for the same offset, and readers started at the same
 * offset walk the same batches. A batch is read once and the same array handed to each,
 * so their encodings are shared too (http/sse-frames.ts caches by array identity).
 *
 * Kept across partitions up to CORE_LIMITS.tailSharedBytes, the least recently asked for
 * dropped first. It once kept the last 4 batches of each log: 300 readers started at
 * offset 0 of 10 records of 900 KB drifted apart by a few records, evicted each other's
 * batches, and each read and encoded its own copies (2.9 GB resident, found by a
 * tester). A reader far behind still reads for itself, as any fetch does. Callers must
 * not modify a batch.
 */
const MAX_BYTES = CORE_LIMITS.tailSharedBytes.value;

interface Kept {
  batch: StoredRecord[];
  bytes: number;
  /** The leader epoch of its last record when read: a log truncated and written again since holds other records there. */
  epoch: number | null;
}

/** By log and offset, least recently asked for first (a Map keeps insertion order). */
const kept = new Map<string, Kept>();
const logIds = new WeakMap<PartitionLog, number>();
let nextLogId = 0;
let keptBytes = 0;

export function readShared(log: PartitionLog, offset: number, maxRecords: number, maxBytes: number): StoredRecord[] {
  let id = logIds.get(log);
  if (id === undefined) {
    id = nextLogId++;
    logIds.set(log, id);
  }
  const key = `${id}:${offset}`;
  const hit = kept.get(key);
  if (hit !== undefined) {
    forget(key, hit);
    // Valid while every record in it is still readable and still the one read: a
    // retention pass since would have moved the start past it, a truncation the end (or,
    // written again since, the epoch of its last offset).
    const last = hit.batch[hit.batch.length - 1].offset;
    if (last < visibleEnd(log) && offset >= log.startOffset && epochAt(log, last) === hit.epoch) {
      keep(key, hit);
      return hit.batch;
    }
  }
  const batch = log.read(offset, maxRecords, maxBytes);
  if (batch.length === 0) return batch;
  keep(key, { batch, bytes: batchBytes(batch), epoch: epochAt(log, batch[batch.length - 1].offset) });
  return batch;
}

function keep(key: string, entry: Kept): void {
  kept.set(key, entry);
  keptBytes += entry.bytes;
  for (const [oldest, old] of kept) {
    if (keptBytes <= MAX_BYTES || oldest === key) break;
    forget(oldest, old);
  }
}

function forget(key: string, entry: Kept): void {
  kept.delete(key);
  keptBytes -= entry.bytes;
}

function epochAt(log: PartitionLog, offset: number): number | null {
  try {
    return log.epochForOffset(offset);
  } catch {
    return null;
  }
}

function batchBytes(batch: readonly StoredRecord[]): number {
  let bytes = 0;
  for (const r of batch) bytes += (r.value?.byteLength ?? 0) + (r.key?.byteLength ?? 0) + 64;
  return bytes;
}

/** Bytes of batches kept now (for tests: it stays within the bound). */
export function sharedTailBytes(): number {
  return keptBytes;
}
