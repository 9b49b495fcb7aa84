import type { Subprocess } from "bun";
import { existsSync, readFileSync } from "node:fs";
import { streamnestCommand } from "./streamnest-command.ts";

/**
 * A running `streamnest broker --count=N` launcher, with its combined output collected
 * so a test can wait for lines and read the broker pids it prints.
 */

const live = new Set<Subprocess>();
process.on("exit", () => {
  // SIGKILL is enough: supervised brokers stop when their launcher's pipe closes.
  for (const proc of live) proc.kill("SIGKILL");
});

export class LauncherProcess {
  output = "";
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number>;

  private constructor(readonly proc: Subprocess<"ignore", "pipe", "pipe">) {
    live.add(proc);
    void this.collect(proc.stdout);
    void this.collect(proc.stderr);
    this.exited = proc.exited.then((code) => {
      live.delete(proc);
      for (const wake of [...this.waiters]) wake();
      return code;
    });
  }

  /**
   * `command` replaces the usual StreamNest argv prefix (e.g. a copy of the binary);
   * `cleanEnv` starts from an empty environment instead of this process's.
   */
  static start(
    args: string[],
    env: Record<string, string> = {},
    options: { command?: string[]; cwd?: string; cleanEnv?: boolean } = {},
  ): LauncherProcess {
    const proc = Bun.spawn([...(options.command ?? streamnestCommand()), "broker", ...args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      cwd: options.cwd,
      env: { ...(options.cleanEnv ? {} : process.env), NO_COLOR: "1", ...env },
    });
    return new LauncherProcess(proc);
  }

  get pid(): number {
    return this.proc.pid;
  }

  private async collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.output += decoder.decode(chunk, { stream: true });
      for (const wake of [...this.waiters]) wake();
    }
  }

  /** Resolves with the first match of `pattern` in the output (searched from `from`). */
  waitFor(pattern: string | RegExp, timeoutMs = 30_000, from = 0): Promise<RegExpMatchArray> {
    const find = (): RegExpMatchArray | null => {
      const text = this.output.slice(from);
      if (typeof pattern !== "string") return text.match(pattern);
      const at = text.indexOf(pattern);
      if (at < 0) return null;
      const match: RegExpMatchArray = [pattern];
      match.index = at;
      return match;
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`launcher never printed ${String(pattern)}; output:\n${this.output}`));
      }, timeoutMs);
      const check = (): void => {
        const match = find();
        if (match) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(match);
        } else if (this.proc.exitCode !== null) {
          clearTimeout(timer);
          this.waiters.delete(check);
          reject(new Error(`launcher exited (${this.proc.exitCode}) before printing ${String(pattern)}; output:\n${this.output}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for the "Cluster of N up" summary and returns broker id -> pid from it. */
  async waitUp(count: number, timeoutMs = 60_000): Promise<Map<number, number>> {
    await this.waitFor(new RegExp(`Cluster of ${count} up[^\\n]*\\n(?:  broker \\d+ [^\\n]*\\n){${count}}`), timeoutMs);
    const pids = new Map<number, number>();
    for (const m of this.output.matchAll(/^ {2}broker (\d+) +https?:\/\/\S+ +pid (\d+)$/gm))
      pids.set(Number(m[1]), Number(m[2]));
    return pids;
  }

  kill(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }
}

/** Whether `pid` is a running process (a zombie awaiting its reaper counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (existsSync(stat)) {
    try {
      // state is the field after the parenthesised command name
      const state = readFileSync(stat, "utf8").replace(/^.*\) /s, "")[0];
      return state !== "Z" && state !== "X";
    } catch {
      return false;
    }
  }
  return true;
}

/** Waits until none of `pids` is alive; resolves with those still alive at the deadline. */
export async function waitGone(pids: number[], timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(processAlive);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await Bun.sleep(50);
  }
}

/** GET /health on 127.0.0.1:port; the status, or 0 when nothing answers. */
export async function healthStatus(port: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
