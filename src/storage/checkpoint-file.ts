/**
 * Small checkpoint files of a partition folder (high watermark, leader epochs, a
 * truncation in progress), in the layout of Kafka's CheckpointFile: a version line, a
 * count line, then one entry per line of space-separated integers.
 *
 * A checkpoint is replaced atomically, as Kafka does: the new content goes to a temporary
 * file which is flushed to the device, renamed over the old one, and the folder is
 * flushed so the rename itself survives power loss. A reader therefore finds the old
 * file or the new one, never a mix; a temporary file left by a crash is ignored.
 */
import { closeSync, fdatasync, fsync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";

const VERSION = 0;
const TEMP_SUFFIX = ".tmp";

/** Whether a file name in a partition folder is a checkpoint's leftover temporary file. */
export function isCheckpointTemp(name: string): boolean {
  return name.endsWith(TEMP_SUFFIX);
}

function render(entries: readonly (readonly number[])[]): string {
  return `${VERSION}\n${entries.length}\n${entries.map((e) => e.join(" ")).join("\n")}${entries.length > 0 ? "\n" : ""}`;
}

/**
 * The entries of the checkpoint at `path`, each with `width` integers; null when there is
 * no such file. A file that does not parse is an error naming it: checkpoints are only
 * ever replaced whole, so one that is damaged was changed by something else.
 */
export function readCheckpoint(path: string, width: number): number[][] | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const bad = (why: string): never => {
    throw new StreamNestError("STORAGE_ERROR", `checkpoint ${path} is damaged: ${why}`);
  };
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length < 2) bad("it has no version and count lines");
  if (lines[0] !== String(VERSION)) bad(`unknown version ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || lines.length !== count + 2) bad(`count ${lines[1]} does not match its ${lines.length - 2} entries`);
  return lines.slice(2).map((line, i) => {
    const fields = line.split(" ").map(Number);
    if (fields.length !== width || !fields.every((n) => Number.isSafeInteger(n))) bad(`entry ${i} is ${JSON.stringify(line)}`);
    return fields;
  });
}

/** Replaces the checkpoint at `path` durably before returning (write, flush, rename, flush folder). */
export function writeCheckpointSync(path: string, entries: readonly (readonly number[])[]): void {
  const temp = path + TEMP_SUFFIX;
  const fd = openSync(temp, "w");
  try {
    writeSync(fd, render(entries));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  syncDir(dirname(path));
}

/**
 * The same off the event loop: the flush of the temporary file runs on libuv's pool.
 * `stillWanted` is asked right before the rename (synchronously, so nothing can write the
 * checkpoint in between): when a newer value was written meanwhile, this one is dropped
 * rather than renamed over it. Resolves true when the file was replaced.
 */
export function writeCheckpointAsync(
  path: string,
  entries: readonly (readonly number[])[],
  stillWanted: () => boolean,
): Promise<boolean> {
  // Its own temporary name: a synchronous write may run while this one waits for its flush.
  const temp = join(dirname(path), `${basename(path)}.async${TEMP_SUFFIX}`);
  return new Promise<boolean>((resolve, reject) => {
    let fd: number;
    try {
      fd = openSync(temp, "w");
      writeSync(fd, render(entries));
    } catch (error) {
      reject(error);
      return;
    }
    fdatasync(fd, (error) => {
      try {
        closeSync(fd);
        if (error) throw error;
        if (!stillWanted()) {
          rmSync(temp, { force: true });
          resolve(false);
          return;
        }
        renameSync(temp, path);
      } catch (failure) {
        reject(failure);
        return;
      }
      syncDirAsync(dirname(path)).then(() => resolve(true), reject);
    });
  });
}

/** Removes the checkpoint at `path` durably (the folder is flushed after the unlink). */
export function removeCheckpointSync(path: string): void {
  rmSync(path, { force: true });
  syncDir(dirname(path));
}

/** Flushes a folder, so renames, creations and deletions in it survive power loss. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirAsync(dir: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let fd: number;
    try {
      fd = openSync(dir, "r");
    } catch (error) {
      reject(error);
      return;
    }
    fsync(fd, (error) => {
      try {
        closeSync(fd);
      } catch {
        // The flush's own outcome is what matters.
      }
      if (error) reject(error);
      else resolve();
    });
  });
}
