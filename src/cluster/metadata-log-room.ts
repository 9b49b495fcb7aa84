/**
 * A metadata change is refused before it is appended when the metadata log's disk has no
 * room for it. After the append the outcome is no longer the leader's to take back: the
 * entry sits in the log image that followers fetch from and that a later flush writes, so
 * it may still be committed once space is freed. Refusing first is what lets a full disk
 * answer 507 STORAGE_FULL truthfully: the change was not made and never will be.
 *
 * An append writes the entry into a segment and a few pages of the segment's sqlite
 * index; every so many entries the driver also writes a snapshot of the whole document
 * (atomically, beside the old one until the rename). The reserve covers those pages and a
 * snapshot of a catalog of a few thousand partitions; a change is refused unless the
 * disk has the entry plus that reserve free.
 */
import { statfsSync } from "node:fs";
import { StreamNestError } from "../lib/errors.ts";

export const METADATA_APPEND_RESERVE_BYTES = 256 * 1024;

/** Free bytes this process may write on the file system holding `dir` (null when it cannot be told). */
export function freeBytes(dir: string): number | null {
  try {
    const stats = statfsSync(dir);
    return Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return null;
  }
}

/** Throws STORAGE_FULL when the disk holding the metadata log `dir` cannot take an entry of `entryBytes`. */
export function ensureRoomForEntry(dir: string, entryBytes: number, free: (dir: string) => number | null = freeBytes): void {
  const available = free(dir);
  const needed = entryBytes + METADATA_APPEND_RESERVE_BYTES;
  // A file system that cannot say its free space is left to fail the append itself.
  if (available === null || available >= needed) return;
  throw new StreamNestError(
    "STORAGE_FULL",
    `the metadata change was refused before it was appended to ${dir}: the disk is full (${available} bytes free, ${needed} needed); free space on it and retry`,
  );
}
