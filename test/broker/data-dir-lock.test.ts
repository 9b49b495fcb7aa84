import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataDirLock, lockText, processStartTime } from "../../src/broker/data-dir-lock.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

let root: string;
const held: DataDirLock[] = [];
const children: Array<{ kill(): void }> = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-lock-"));
});
afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
  for (const child of children.splice(0)) child.kill();
  rmSync(root, { recursive: true, force: true });
});

function acquire(dir = join(root, "data")): DataDirLock {
  const lock = DataDirLock.acquire(dir);
  held.push(lock);
  return lock;
}

function refusal(dir = join(root, "data")): StreamNestError {
  try {
    acquire(dir);
  } catch (error) {
    if (error instanceof StreamNestError) return error;
    throw error;
  }
  throw new Error("the lock was granted");
}

function leaveLock(pid: number, dir = join(root, "data")): string {
  acquire(dir);
  held.pop()?.release();
  const path = join(dir, "broker.lock");
  writeFileSync(path, String(pid));
  return path;
}

/** A process that stays alive until the test ends. */
function sleeper(): number {
  const child = Bun.spawn(["sleep", "30"], { stdout: "ignore", stderr: "ignore" });
  children.push(child);
  return child.pid;
}

describe("DataDirLock", () => {
  test("a live broker's lock is refused, naming its pid; released, the dir is free again", () => {
    const pid = sleeper();
    leaveLock(pid);
    const error = refusal();
    expect(error.code).toBe("STORAGE_ERROR");
    expect(error.message).toBe(`data dir ${join(root, "data")} is in use by another broker (pid ${pid})`);
    const lock = acquire(join(root, "other"));
    expect(readFileSync(join(root, "other", "broker.lock"), "utf8")).toBe(`${process.pid}\nstarted ${processStartTime(process.pid)}`);
    // A second broker in this same process is refused too.
    expect(refusal(join(root, "other")).message).toBe(`data dir ${join(root, "other")} is in use by another broker (pid ${process.pid})`);
    lock.release();
    expect(existsSync(join(root, "other", "broker.lock"))).toBe(false);
    acquire(join(root, "other"));
  });

  test("a lock holding this process's own pid, left by an earlier process (a restarted container), is taken over", () => {
    leaveLock(process.pid);
    acquire();
    expect(readFileSync(join(root, "data", "broker.lock"), "utf8")).toBe(lockText(process.pid));
  });

  test("a lock written before the machine started is stale whatever process has that pid now", () => {
    const path = leaveLock(sleeper());
    const longAgo = new Date(Date.now() - 10 * 365 * 24 * 3600 * 1000);
    utimesSync(path, longAgo, longAgo);
    acquire();
    expect(readFileSync(path, "utf8")).toBe(lockText(process.pid));
  });

  test("a lock whose pid now belongs to another process (started after the lock's owner) is stale; its own owner's is not", () => {
    const pid = sleeper();
    const started = processStartTime(pid);
    expect(started).toMatch(/^\d+$/);
    const path = leaveLock(pid);
    // The pid reused: the live process started at another time than the one that locked.
    writeFileSync(path, `${pid}\nstarted ${Number(started) - 1}`);
    acquire();
    expect(readFileSync(path, "utf8")).toBe(lockText(process.pid));
    held.pop()?.release();
    writeFileSync(path, lockText(pid));
    expect(refusal().message).toBe(`data dir ${join(root, "data")} is in use by another broker (pid ${pid})`);
  });

  test("the owner still exiting after kill -9 (or a zombie not reaped yet) does not block a restart", () => {
    const child = Bun.spawn(["sleep", "0.2"], { stdout: "ignore", stderr: "ignore" });
    leaveLock(child.pid);
    // The wait blocks this thread, so the exited child stays unreaped: a zombie.
    acquire();
    expect(readFileSync(join(root, "data", "broker.lock"), "utf8")).toBe(lockText(process.pid));
  });

  test("a data dir that cannot be a folder is one clear error", () => {
    writeFileSync(join(root, "file"), "x");
    for (const dir of [join(root, "file"), join(root, "file", "sub")]) {
      const error = refusal(dir);
      expect(error.code).toBe("STORAGE_ERROR");
      expect(error.message).toBe(`cannot use data dir ${dir}: a file is in the way (the data dir and its parents must be folders)`);
    }
  });
});
