/**
 * Release benchmark: how soon the downloaded binary is useful. Times from starting
 * `dist/streamnest` (built first if missing) to its `--version` output, and from
 * `streamnest broker --count=3` to all three brokers answering GET /health with 200;
 * the source entry (`bun src/main.ts`) is measured the same way for comparison.
 */
import { $ } from "bun";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { portProblem } from "../../src/cluster/port-check.ts";

const root = resolve(import.meta.dir, "../..");
const binary = resolve(root, "dist", process.platform === "win32" ? "streamnest.exe" : "streamnest");
const VERSION_RUNS = 15;
const CLUSTER_RUNS = 3;

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
}

function freeRange(n: number): number {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    if (Array.from({ length: n }, (_, i) => base + i).every((p) => portProblem(p) === undefined)) return base;
  }
}

async function timeVersion(command: string[]): Promise<number> {
  const started = performance.now();
  const proc = Bun.spawn([...command, "--version"], { stdout: "pipe", stderr: "ignore", stdin: "ignore" });
  // time to the output, as a user sees it
  const reader = proc.stdout.getReader();
  const first = await reader.read();
  const elapsed = performance.now() - started;
  if (first.done) throw new Error(`${command.join(" ")} --version printed nothing`);
  reader.releaseLock();
  await proc.exited;
  return elapsed;
}

async function allHealthy(ports: number[]): Promise<boolean> {
  const answers = await Promise.all(
    ports.map(async (port) => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) });
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    }),
  );
  return answers.every(Boolean);
}

/** Start to all /health 200, and SIGINT to exit, in ms. */
async function timeCluster(command: string[]): Promise<{ up: number; stop: number }> {
  const base = freeRange(3);
  const ports = [base, base + 1, base + 2];
  const dataDir = mkdtempSync(join(tmpdir(), "streamnest-bench-"));
  const started = performance.now();
  const proc = Bun.spawn([...command, "broker", "--count=3", `--base-port=${base}`, `--data-dir=${dataDir}`], {
    stdout: "ignore",
    stderr: "ignore",
    stdin: "ignore",
  });
  try {
    while (!(await allHealthy(ports))) {
      if (proc.exitCode !== null) throw new Error(`the launcher exited with ${proc.exitCode} before the cluster was up`);
      if (performance.now() - started > 60_000) throw new Error("the cluster did not come up within 60 s");
      await Bun.sleep(5);
    }
    const up = performance.now() - started;
    const stopping = performance.now();
    proc.kill("SIGINT");
    await proc.exited;
    return { up, stop: performance.now() - stopping };
  } finally {
    if (proc.exitCode === null) proc.kill("SIGKILL");
    await proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function ms(value: number): string {
  return `${value.toFixed(0)} ms`;
}

export async function run(): Promise<void> {
  if (!existsSync(binary)) {
    console.log("dist/streamnest is missing; building it first");
    await $`${process.execPath} ${resolve(root, "scripts/build.ts")}`.cwd(root);
  }
  const commands: Array<[string, string[]]> = [
    ["binary", [binary]],
    ["source", [process.execPath, resolve(root, "src/main.ts")]],
  ];
  const rows: string[][] = [];
  for (const [name, command] of commands) {
    await timeVersion(command); // warm the page cache so every run measures the same thing
    const versions: number[] = [];
    for (let i = 0; i < VERSION_RUNS; i++) versions.push(await timeVersion(command));
    const v = stats(versions);
    rows.push([name, `--version (${VERSION_RUNS} runs)`, ms(v.median), ms(v.min), ms(v.max)]);

    const ups: number[] = [];
    const stops: number[] = [];
    for (let i = 0; i < CLUSTER_RUNS; i++) {
      const { up, stop } = await timeCluster(command);
      ups.push(up);
      stops.push(stop);
    }
    const u = stats(ups);
    const s = stats(stops);
    rows.push([name, `broker --count=3 to all /health 200 (${CLUSTER_RUNS} runs)`, ms(u.median), ms(u.min), ms(u.max)]);
    rows.push([name, `Ctrl-C to launcher exit, 3 brokers (${CLUSTER_RUNS} runs)`, ms(s.median), ms(s.min), ms(s.max)]);
  }

  const header = ["entry", "measure", "median", "min", "max"];
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(width[i])).join(" | ")} |`;
  console.log(`binary: ${binary} (${(statSync(binary).size / 1024 / 1024).toFixed(1)} MiB)`);
  console.log(line(header));
  console.log(`|${width.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
}

if (import.meta.main) await run();
