import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";

/**
 * One broker per data dir: two processes appending to the same segments would corrupt
 * them. The lock is a file holding the owner's pid, created exclusively; a lock whose
 * process is gone (kill -9, power loss) is stale and taken over.
 */
export class DataDirLock {
  private constructor(private readonly path: string) {}

  static acquire(dataDir: string): DataDirLock {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, "broker.lock");
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, "wx");
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new DataDirLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST")
          throw new StreamNestError("STORAGE_ERROR", `cannot lock data dir ${dataDir}: ${(error as Error).message}`);
      }
      const owner = Number(readFileSync(path, "utf8").trim());
      if (Number.isSafeInteger(owner) && owner > 0 && alive(owner))
        throw new StreamNestError("STORAGE_ERROR", `data dir ${dataDir} is in use by another broker (pid ${owner})`);
      rmSync(path, { force: true });
    }
    throw new StreamNestError("STORAGE_ERROR", `cannot lock data dir ${dataDir}: another broker keeps taking it`);
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
