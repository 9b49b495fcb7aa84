import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { uptime } from "node:os";
import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import { CORE_LIMITS } from "../config/core.ts";

/**
 * One broker per data dir: two processes appending to the same segments would corrupt
 * them. The lock is a file holding the owner's pid, created exclusively; a lock whose
 * process is gone (kill -9, power loss) is stale and taken over.
 *
 * "Gone" is judged with care, because a pid outlives its broker in several ways: a
 * process killed a moment ago may still be exiting (a restart right after `kill -9`),
 * or be a zombie nobody has reaped yet; after a reboot its pid may belong to another
 * program; and in a container the restarted broker usually gets the very pid the
 * killed one had (often 1). And while a broker is down, its pid may go to any other
 * process: the lock therefore also records when its process started (Linux
 * /proc/<pid>/stat), and a live process with that pid but another start time is not
 * the owner.
 */

/** How long a start waits for the lock's owner to finish exiting before refusing. */
const OWNER_EXIT_WAIT_MS = CORE_LIMITS.dataDirOwnerExitWaitMs.value;

/** Data dirs locked by this process, so a second broker in the same process is refused too. */
const heldHere = new Set<string>();

export class DataDirLock {
  private constructor(private readonly path: string) {}

  static acquire(dataDir: string): DataDirLock {
    makeDataDir(dataDir);
    const path = join(dataDir, "broker.lock");
    const deadline = Date.now() + OWNER_EXIT_WAIT_MS;
    for (;;) {
      try {
        const fd = openSync(path, "wx");
        writeSync(fd, lockText(process.pid));
        closeSync(fd);
        heldHere.add(path);
        return new DataDirLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST")
          throw new StreamNestError("STORAGE_ERROR", `cannot lock data dir ${dataDir}: ${(error as Error).message}`);
      }
      const owner = lockOwner(path);
      if (owner === undefined) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() >= deadline || owner === process.pid)
        throw new StreamNestError("STORAGE_ERROR", `data dir ${dataDir} is in use by another broker (pid ${owner})`);
      Bun.sleepSync(50);
    }
  }

  release(): void {
    heldHere.delete(this.path);
    rmSync(this.path, { force: true });
  }
}

/** The pid of a live owner of the lock at `path`, or undefined if the lock is stale. */
function lockOwner(path: string): number | undefined {
  let text: string;
  let writtenAt: number;
  try {
    text = readFileSync(path, "utf8");
    writtenAt = statSync(path).mtimeMs;
  } catch {
    return undefined; // removed meanwhile: try again
  }
  const [pidLine, startLine] = text.trim().split("\n");
  const owner = Number(pidLine);
  if (!Number.isSafeInteger(owner) || owner <= 0) return undefined;
  // Our own pid: a lock this process holds, or one left by an earlier process that had
  // the same pid (a container restarted after kill -9).
  if (owner === process.pid) return heldHere.has(path) ? owner : undefined;
  // Written before the machine last started: whatever has that pid now is not its broker.
  if (writtenAt < Date.now() - uptime() * 1000 - 1000) return undefined;
  if (!alive(owner)) return undefined;
  // Alive, but started at another time than the lock's owner: the pid was reused.
  const recorded = /^started (\d+)$/.exec(startLine ?? "")?.[1];
  const now = processStartTime(owner);
  if (recorded !== undefined && now !== undefined && now !== recorded) return undefined;
  return owner;
}

/** The lock's content: the owner's pid, and when it started where the system says. */
export function lockText(pid: number): string {
  const started = processStartTime(pid);
  return started === undefined ? String(pid) : `${pid}\nstarted ${started}`;
}

/** A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), on Linux. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(command)" start at field 3 (state); field 22 is the 20th of them.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !zombie(pid);
}

/** A process that has exited but was not reaped yet (Linux; elsewhere: assume not). */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (command) state …": the command may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

/** Creates the data dir, saying plainly what is in the way when it cannot be. */
function makeDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "EEXIST" || code === "ENOTDIR"
        ? "a file is in the way (the data dir and its parents must be folders)"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "EROFS"
            ? "the file system is read-only"
            : (error as Error).message;
    throw new StreamNestError("STORAGE_ERROR", `cannot use data dir ${dataDir}: ${why}`);
  }
}
