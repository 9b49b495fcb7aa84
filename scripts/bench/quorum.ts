/**
 * Metadata quorum benchmark (issue 11).
 *   bun scripts/bench.ts quorum
 * 1. Metadata writes per second: topic creates one at a time, and 16 in parallel, on a
 *    3-broker cluster that already holds 10 and 10,000 topics, sent through every broker
 *    in turn (the metadata is the Raft log; the older controller it was once compared
 *    with is gone).
 * 2. Failover: kill -9 of the quorum leader, time to the next acknowledged create
 *    through a surviving broker; median and max over 10 kills (target: under 3 s).
 * Knobs (environment): STREAMNEST_BENCH_QUORUM_SIZES (default "10,10000"),
 * STREAMNEST_BENCH_QUORUM_SECONDS (per measurement, default 5), STREAMNEST_BENCH_QUORUM_KILLS
 * (default 10).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { portProblem } from "../../src/cluster/port-check.ts";

const SIZES = (process.env.STREAMNEST_BENCH_QUORUM_SIZES ?? "10,10000").split(",").map(Number);
const SECONDS = Number(process.env.STREAMNEST_BENCH_QUORUM_SECONDS ?? 5);
const KILLS = Number(process.env.STREAMNEST_BENCH_QUORUM_KILLS ?? 10);
const MODES = ["raft"];
const PARALLEL = 16;
const root = resolve(import.meta.dir, "../..");

function streamnest(): string[] {
  const bin = process.env.STREAMNEST_BIN;
  return bin ? [resolve(root, bin)] : [process.execPath, resolve(root, "src/main.ts")];
}

function freePorts(n: number): number[] {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (40_000 - n));
    const ports = Array.from({ length: n }, (_, i) => base + i);
    if (ports.every((p) => portProblem(p) === undefined)) return ports;
  }
  throw new Error(`no ${n} consecutive free ports`);
}

class Cluster {
  readonly procs = new Map<number, Subprocess>();
  readonly dataDir = mkdtempSync(join(tmpdir(), "streamnest-bench-quorum-"));
  readonly ports = freePorts(3);
  private readonly secret = `bench-${crypto.randomUUID()}`;

  constructor(readonly mode: string) {}

  url(id: number): string {
    return `http://127.0.0.1:${this.ports[id - 1]}`;
  }

  async start(id: number): Promise<void> {
    const peers = this.ports.filter((_, i) => i !== id - 1).map((p) => `localhost:${p}`);
    const proc = Bun.spawn(
      [
        ...streamnest(),
        "broker",
        `--id=${id}`,
        `--port=${this.ports[id - 1]}`,
        "--host=127.0.0.1",
        `--data-dir=${join(this.dataDir, `broker-${id}`)}`,
        `--peers=${peers.join(",")}`,
        `--cluster-secret=${this.secret}`,
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
    );
    void new Response(proc.stdout).text();
    void new Response(proc.stderr).text();
    this.procs.set(id, proc);
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`broker ${id} exited with ${proc.exitCode}`);
      try {
        if ((await fetch(`${this.url(id)}/health`, { signal: AbortSignal.timeout(500) })).ok) return;
      } catch {
        // not up yet
      }
      await Bun.sleep(20);
    }
  }

  async kill9(id: number): Promise<void> {
    const proc = this.procs.get(id);
    proc?.kill("SIGKILL");
    await proc?.exited;
  }

  async leader(): Promise<number> {
    for (;;) {
      for (const id of [1, 2, 3]) {
        try {
          const body = (await (await fetch(`${this.url(id)}/cluster`, { signal: AbortSignal.timeout(500) })).json()) as {
            controller: number;
            quorum?: { leader: number | null };
          };
          const leader = this.mode === "raft" ? body.quorum?.leader : body.controller;
          if (leader !== null && leader !== undefined && leader > 0) return leader;
        } catch {
          // that broker is down: ask the next
        }
      }
      await Bun.sleep(20);
    }
  }

  async stop(): Promise<void> {
    for (const proc of this.procs.values()) proc.kill("SIGTERM");
    await Promise.all([...this.procs.values()].map((p) => p.exited));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

let counter = 0;
/** Error codes of failed creates, counted, to say why they failed. */
const failures = new Map<string, number>();
async function create(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/create-topic`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ topic: `b-${process.pid}-${counter++}`, partitions: 1 }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) {
      const code = (() => {
        try {
          return String((JSON.parse(text) as { error?: unknown }).error ?? res.status);
        } catch {
          return String(res.status);
        }
      })();
      failures.set(code, (failures.get(code) ?? 0) + 1);
    }
    return res.ok;
  } catch (error) {
    const code = error instanceof Error ? error.name : "error";
    failures.set(code, (failures.get(code) ?? 0) + 1);
    return false;
  }
}

/** Creates for `seconds` with `parallel` loops, through brokers 1..3 in turn. */
async function rate(cluster: Cluster, parallel: number, seconds: number): Promise<{ perSecond: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async (_, loop) => {
      for (let i = loop; performance.now() < deadline; i++) (await create(cluster.url((i % 3) + 1))) ? ok++ : failed++;
    }),
  );
  return { perSecond: ok / ((performance.now() - started) / 1000), failed };
}

async function fill(cluster: Cluster, topics: number): Promise<void> {
  let made = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async (_, loop) => {
      while (made < topics) {
        made++;
        if (!(await create(cluster.url((loop % 3) + 1)))) made--;
      }
    }),
  );
}

async function failover(cluster: Cluster): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    const leader = await cluster.leader();
    const survivor = leader === 1 ? 2 : 1;
    await cluster.kill9(leader);
    const killed = performance.now();
    while (!(await create(cluster.url(survivor)))) await Bun.sleep(10);
    times.push(performance.now() - killed);
    await cluster.start(leader);
    // Let it catch up before the next kill.
    await Bun.sleep(1_000);
  }
  return times;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;

export async function run(): Promise<void> {
  console.log("| metadata | topics before | creates/s, 1 at a time | creates/s, 16 in parallel | failed (by error) |");
  console.log("| --- | ---: | ---: | ---: | --- |");
  for (const mode of MODES) {
    for (const size of SIZES) {
      const cluster = new Cluster(mode);
      try {
        await Promise.all([1, 2, 3].map((id) => cluster.start(id)));
        await cluster.leader();
        await fill(cluster, size);
        failures.clear();
        const one = await rate(cluster, 1, SECONDS);
        const many = await rate(cluster, PARALLEL, SECONDS);
        const why = [...failures].map(([code, n]) => `${code} ${n}`).join(", ");
        console.log(`| ${mode} | ${size} | ${one.perSecond.toFixed(1)} | ${many.perSecond.toFixed(1)} | ${one.failed + many.failed}${why ? ` (${why})` : ""} |`);
      } finally {
        await cluster.stop();
      }
    }
  }
  if (KILLS <= 0) return;
  console.log("\n| metadata | leader kills | failover median ms | failover max ms |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const mode of MODES.filter((m) => m === "raft")) {
    const cluster = new Cluster(mode);
    try {
      await Promise.all([1, 2, 3].map((id) => cluster.start(id)));
      await cluster.leader();
      const times = await failover(cluster);
      console.log(`| ${mode} | ${times.length} | ${median(times).toFixed(0)} | ${Math.max(...times).toFixed(0)} |`);
    } finally {
      await cluster.stop();
    }
  }
}
