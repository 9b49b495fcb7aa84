/**
 * Turns what the file system or sqlite threw into the StreamNestError a caller sees: a
 * full disk is STORAGE_FULL (retriable once space is freed), anything else STORAGE_ERROR,
 * each naming the partition and the operation so an operator knows where to look.
 */
import { SQLiteError } from "bun:sqlite";
import { closeSync, openSync } from "node:fs";
import { devNull } from "node:os";
import { StreamNestError } from "../lib/errors.ts";
import { openFileLimit } from "../lib/open-file-limit.ts";

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

/** errno codes meaning "no file descriptor left": this process's limit, or the system's. */
const OUT_OF_FILES_ERRNOS = new Set(["EMFILE", "ENFILE"]);

/** The failures storageFailure found to be for want of file descriptors. */
const outOfFilesFailures = new WeakSet<StreamNestError>();

/**
 * Descriptors tried by the probe below. sqlite gives back what it opened before failing
 * (the database file when its WAL could not be opened), so the probe must reach past those.
 */
const PROBE_FILES = 16;

/**
 * Whether the error came from running out of file descriptors. sqlite says only
 * "unable to open database file" (SQLITE_CANTOPEN) whatever the cause, so that case is
 * told apart by trying to open a few files right now.
 */
export function isOutOfFiles(error: unknown): boolean {
  if (error instanceof StreamNestError) return outOfFilesFailures.has(error);
  if (OUT_OF_FILES_ERRNOS.has(errnoCode(error) ?? "")) return true;
  if (!(error instanceof SQLiteError) || error.code !== "SQLITE_CANTOPEN") return false;
  const probes: number[] = [];
  try {
    while (probes.length < PROBE_FILES) probes.push(openSync(devNull, "r"));
    return false;
  } catch (probe) {
    return OUT_OF_FILES_ERRNOS.has(errnoCode(probe) ?? "");
  } finally {
    for (const fd of probes) closeSync(fd);
  }
}

/** `what` says what failed, e.g. "append to /data/demo-0". A StreamNestError passes through. */
export function storageFailure(error: unknown, what: string): StreamNestError {
  if (error instanceof StreamNestError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (isStorageFull(error))
    return new StreamNestError("STORAGE_FULL", `${what} failed: the disk is full (${text}); free space on it and retry`);
  if (isOutOfFiles(error)) {
    const limit = openFileLimit();
    const failure = new StreamNestError(
      "STORAGE_ERROR",
      `${what} failed: the broker has run out of file descriptors (${text}; its limit is ${limit ?? "unknown"} open files); ` +
        "raise the limit with `ulimit -n` before starting the broker",
    );
    outOfFilesFailures.add(failure);
    return failure;
  }
  return new StreamNestError("STORAGE_ERROR", `${what} failed: ${text}`);
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
