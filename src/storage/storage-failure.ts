/**
 * Turns what the file system or sqlite threw into the StreamNestError a caller sees: a
 * full disk is STORAGE_FULL (retriable once space is freed), anything else STORAGE_ERROR,
 * each naming the partition and the operation so an operator knows where to look.
 */
import { SQLiteError } from "bun:sqlite";
import { StreamNestError } from "../lib/errors.ts";

/** errno codes meaning "no room": the device, or the user's quota, is full. */
const FULL_ERRNOS = new Set(["ENOSPC", "EDQUOT"]);

export function isStorageFull(error: unknown): boolean {
  if (error instanceof StreamNestError) return error.code === "STORAGE_FULL";
  if (error instanceof SQLiteError) return error.code === "SQLITE_FULL";
  return FULL_ERRNOS.has(errnoCode(error) ?? "");
}

/**
 * sqlite's answer for a database file whose bytes are not what sqlite wrote: the index
 * is derived from the log, so such a file is rebuilt rather than reported.
 */
export function isIndexCorrupt(error: unknown): boolean {
  return error instanceof SQLiteError && (error.code === "SQLITE_CORRUPT" || error.code === "SQLITE_NOTADB");
}

/** `what` says what failed, e.g. "append to /data/demo-0". A StreamNestError passes through. */
export function storageFailure(error: unknown, what: string): StreamNestError {
  if (error instanceof StreamNestError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (isStorageFull(error))
    return new StreamNestError("STORAGE_FULL", `${what} failed: the disk is full (${text}); free space on it and retry`);
  return new StreamNestError("STORAGE_ERROR", `${what} failed: ${text}`);
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
