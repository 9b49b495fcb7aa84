/**
 * The process's limit on open files (RLIMIT_NOFILE, `ulimit -n`), as it stands after Bun
 * raised the soft limit at start. Every open partition log costs file descriptors (the
 * index, its WAL, one per segment), so the broker sizes its set of open logs from this,
 * and a failure for want of descriptors names it.
 */
import { readFileSync } from "node:fs";

let cached: number | null | undefined;

/** The soft limit, or null where it cannot be read (or is unlimited). */
export function openFileLimit(): number | null {
  if (cached === undefined) cached = readLimit();
  return cached;
}

function readLimit(): number | null {
  try {
    // Linux: "Max open files   <soft>   <hard>   files".
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft !== undefined) return parseLimit(soft);
  } catch {
    // No /proc (macOS, the BSDs): the shell knows, and a child inherits this process's limit.
  }
  try {
    const result = Bun.spawnSync(["sh", "-c", "ulimit -n"], { stdout: "pipe", stderr: "ignore" });
    if (result.exitCode === 0) return parseLimit(result.stdout.toString().trim());
  } catch {
    // No shell either (Windows): nothing is known.
  }
  return null;
}

function parseLimit(text: string): number | null {
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
