/**
 * Cluster benchmark.
 *   bun scripts/bench.ts cluster
 * 1. Start-up: from spawning `broker --count=3` (on a free port range) to all three
 *    brokers answering GET /health, median of a few launches.
 * 2. Forwarding: single-message produce requests per second to a partition's leader
 *    directly, and through a broker that forwards them to it; the ratio is the cost of
 *    the extra hop (target: at least 50%). The load comes from a separate process, so
 *    the client does not share an event loop with any broker.
 *
 * Run directly with `--load <url> <seconds> <concurrency> <partition>` it is that load
 * process: it posts produce requests over keep-alive connections and prints one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { portProblem } from "../../src/cluster/port-check.ts";

const LAUNCHES = 3;
const LOAD_SECONDS = Number(process.env.STREAMNEST_BENCH_LOAD_SECONDS ?? 5);
const CONCURRENCY = [16, 64];
const MESSAGE = "x".repeat(100);

const root = resolve(import.meta.dir, "../..");

function streamnest(): string[] {
  const bin = process.env.STREAMNEST_BIN;
  return bin ? [resolve(root, bin)] : [process.execPath, resolve(root, "src/main.ts")];
}

export function freePortRange(n: number): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (40_000 - n));
    if (Array.from({ length: n }, (_, i) => base + i).every((p) => portProblem(p) === undefined)) return base;
  }
  throw new Error(`no ${n} consecutive free ports`);
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) });
    return res.ok;
  } catch {
    return false;
  }
}

interface Launch {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  ports: number[];
  dataDir: string;
  startMs: number;
}

async function launch(): Promise<Launch> {
  const base = freePortRange(3);
  const ports = [base, base + 1, base + 2];
  const dataDir = mkdtempSync(join(tmpdir(), "streamnest-bench-cluster-"));
  const started = performance.now();
  const proc = Bun.spawn([...streamnest(), "broker", "--count=3", `--base-port=${base}`, `--data-dir=${dataDir}`], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  // Drain the output so the launcher never blocks on a full pipe.
  void new Response(proc.stdout).text();
  void new Response(proc.stderr).text();
  const up = new Set<number>();
  while (up.size < 3) {
    if (proc.exitCode !== null) throw new Error(`the launcher exited with ${proc.exitCode}`);
    await Promise.all(ports.filter((p) => !up.has(p)).map(async (p) => (await healthy(p)) && up.add(p)));
    if (up.size < 3) await Bun.sleep(5);
  }
  return { proc, ports, dataDir, startMs: performance.now() - started };
}

async function stop(l: Launch): Promise<void> {
  l.proc.kill("SIGTERM");
  const timer = setTimeout(() => l.proc.kill("SIGKILL"), 15_000);
  await l.proc.exited;
  clearTimeout(timer);
  rmSync(l.dataDir, { recursive: true, force: true });
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  /** The first failed answer, to say why. */
  firstError?: string;
}

/** What the load process sends (replication.ts asks for other topics and acks). */
export interface LoadTarget {
  topic: string;
  acks?: "all" | "1";
  message: string;
}

/** `seconds`: how long the load runs (STREAMNEST_BENCH_LOAD_SECONDS unless given: a warm-up's is shorter). */
export async function load(url: string, partition: number, concurrency: number, target?: LoadTarget, seconds = LOAD_SECONDS): Promise<LoadResult> {
  const extra = target ? [target.topic, target.acks ?? "", target.message] : [];
  const proc = Bun.spawn(
    [process.execPath, import.meta.path, "--load", url, String(seconds), String(concurrency), String(partition), ...extra],
    { stdout: "pipe", stderr: "inherit" },
  );
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`the load process failed: ${out}`);
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as LoadResult;
}

/** The load process: `concurrency` loops, each one request at a time, over keep-alive connections. */
async function runLoad(url: string, seconds: number, concurrency: number, partition: number, target?: LoadTarget): Promise<void> {
  const body = JSON.stringify({
    topic: target?.topic ?? "bench",
    message: target?.message ?? MESSAGE,
    partition,
    ...(target?.acks ? { acks: target.acks } : {}),
  });
  const post = (): Promise<Response> => fetch(`${url}/produce`, { method: "POST", headers: { "content-type": "application/json" }, body });
  // Warm the connections up before the clock starts.
  await Promise.all(Array.from({ length: concurrency }, async () => (await post()).arrayBuffer()));
  let requests = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const res = await post();
        const text = await res.text();
        if (res.ok) requests++;
        else {
          errors++;
          firstError ??= `${res.status} ${text}`;
        }
      }
    }),
  );
  console.log(JSON.stringify({ requests, errors, seconds: (performance.now() - started) / 1000, firstError } satisfies LoadResult));
}

/**
 * Writes every dirty page of the machine out (sync(1)), waiting for it; a no-op where
 * there is no sync. Before a phase that should not meet an earlier phase's writeback,
 * which the kernel starts ~30 s after the pages were dirtied (dirty_expire_centisecs).
 */
export function settleWrites(): void {
  try {
    Bun.spawnSync(["sync"]);
  } catch {
    // No sync(1) here: the phase may meet the writeback.
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function run(): Promise<void> {
  const startups: number[] = [];
  let cluster: Launch | undefined;
  for (let i = 0; i < LAUNCHES; i++) {
    const l = await launch();
    startups.push(l.startMs);
    if (i < LAUNCHES - 1) await stop(l);
    else cluster = l;
  }
  console.log("| measure | value |");
  console.log("| --- | --- |");
  console.log(`| \`broker --count=3\` to all three answering /health (median of ${LAUNCHES}) | ${median(startups).toFixed(0)} ms |`);
  console.log(`| each launch | ${startups.map((s) => `${s.toFixed(0)} ms`).join(", ")} |`);
  console.log("");

  if (!cluster) return;
  try {
    const [leaderPort, otherPort] = cluster.ports;
    const created = await fetch(`http://127.0.0.1:${otherPort}/create-topic`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ topic: "bench", partitions: 3 }),
    });
    if (!created.ok) throw new Error(`create-topic failed: ${await created.text()}`);
    // Partition 0 is led by broker 1 (round-robin over ids 1..3).
    console.log(`Single-message produce (${MESSAGE.length}-byte message) to partition 0, led by broker 1; ${LOAD_SECONDS} s per run, load from a separate process:`);
    console.log("");
    console.log("| concurrent requests | to the leader (req/s) | through broker 2 (req/s) | ratio |");
    console.log("| --- | --- | --- | --- |");
    for (const concurrency of CONCURRENCY) {
      const direct = await load(`http://127.0.0.1:${leaderPort}`, 0, concurrency);
      const forwarded = await load(`http://127.0.0.1:${otherPort}`, 0, concurrency);
      for (const r of [direct, forwarded])
        if (r.errors > 0) throw new Error(`${r.errors} produce requests failed, e.g. ${r.firstError}; no figures`);
      const directRate = direct.requests / direct.seconds;
      const forwardedRate = forwarded.requests / forwarded.seconds;
      console.log(
        `| ${concurrency} | ${directRate.toFixed(0)} | ${forwardedRate.toFixed(0)} | ${((forwardedRate / directRate) * 100).toFixed(0)}% |`,
      );
    }
  } finally {
    await stop(cluster);
  }
}

if (process.argv[2] === "--load") {
  const [url, seconds, concurrency, partition, topic, acks, message] = process.argv.slice(3);
  const target: LoadTarget | undefined =
    topic === undefined ? undefined : { topic, acks: acks === "all" || acks === "1" ? acks : undefined, message: message ?? MESSAGE };
  await runLoad(url, Number(seconds), Number(concurrency), Number(partition), target);
} else if (import.meta.main) {
  await run();
}
