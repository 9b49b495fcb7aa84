import type { PartitionLog } from "../storage/partition-log.ts";
import type { StoredRecord } from "../storage/types.ts";
import { visibleEnd } from "./wait-for-append.ts";

/**
 * Live tails of one partition read the same batches: readers waiting at the end all
 * wake on the same append and ask for the same offset. The batch is read once and the
 * same array handed to each, so their encodings can be shared too (http/sse-frames.ts
 * caches by array identity). Kept per log, only the last few batches: a reader far
 * behind reads for itself, as any fetch does. Callers must not modify a batch.
 */
const BATCHES_PER_LOG = 4;
const recent = new WeakMap<PartitionLog, Map<number, StoredRecord[]>>();

export function readShared(log: PartitionLog, offset: number, maxRecords: number, maxBytes: number): StoredRecord[] {
  let batches = recent.get(log);
  const hit = batches?.get(offset);
  // Valid while every record in it is still readable: a truncation or retention pass
  // since it was read would have moved one of the bounds past it.
  if (hit !== undefined && hit[hit.length - 1].offset < visibleEnd(log) && offset >= log.startOffset) return hit;
  const batch = log.read(offset, maxRecords, maxBytes);
  if (batch.length === 0) return batch;
  if (batches === undefined) {
    batches = new Map();
    recent.set(log, batches);
  }
  batches.delete(offset);
  batches.set(offset, batch);
  if (batches.size > BATCHES_PER_LOG) batches.delete(batches.keys().next().value as number);
  return batch;
}
