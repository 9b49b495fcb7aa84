/**
 * Metadata quorum benchmark (issue 11).
 *   bun scripts/bench.ts quorum
 * 1. Metadata writes per second: topic creates one at a time, and 16 in parallel, on a
 *    3-broker cluster that already holds 10 and 10,000 topics, sent through every broker
 *    in turn: the Raft metadata log and, for comparison when
 *    STREAMNEST_BENCH_CONTROLLER_SRC names a checkout of the release before the quorum
 *    (its lowest-alive-id controller; e.g. `git worktree add ../base 3da04b8`), that
 *    controller, in the same run. The topics already present are made first, 32 creates
 *    in flight at a time; the last row gives the rate at the largest size over the rate
 *    at the smallest (target: 1.0 or more, "no slower at 10,000 topics than at 10").
 * 2. Failover: kill -9 of the quorum leader, time to the next acknowledged create
 *    through a surviving broker; median and max over 10 kills (target: under 3 s).
 * 3. Replay (raft): a broker whose metadata holds 100,000 topic-partitions (1,000 topics
 *    of 100 partitions) is killed -9 and started again: the time from its start to its
 *    first answer (the metadata is rebuilt from the log's snapshot plus its committed
 *    tail before it listens), the replay time the broker reports itself, and both over
 *    the same broker's with 10 topics of 1 partition.
 * Knobs (environment): STREAMNEST_BENCH_QUORUM_SIZES (default "10,10000"),
 * STREAMNEST_BENCH_QUORUM_SECONDS (per measurement, default 5), STREAMNEST_BENCH_QUORUM_KILLS
 * (default 10), STREAMNEST_BENCH_CONTROLLER_SRC (see above), STREAMNEST_BENCH_CONTROLLER_SIZES
 * (default "10"),
 * STREAMNEST_BENCH_QUORUM_REPLAY (topics x partitions, default "1000x100"; "0" skips it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { portProblem } from "../../src/cluster/port-check.ts";

const SIZES = (process.env.STREAMNEST_BENCH_QUORUM_SIZES ?? "10,10000").split(",").map(Number);
/** The controller rewrites its whole document per change: filling it to 10,000 topics takes the better part of an hour. */
const CONTROLLER_SIZES = (process.env.STREAMNEST_BENCH_CONTROLLER_SIZES ?? "10").split(",").map(Number);
const SECONDS = Number(process.env.STREAMNEST_BENCH_QUORUM_SECONDS ?? 5);
const KILLS = Number(process.env.STREAMNEST_BENCH_QUORUM_KILLS ?? 10);
const CONTROLLER_SRC = process.env.STREAMNEST_BENCH_CONTROLLER_SRC;
const MODES = CONTROLLER_SRC ? ["raft", "controller"] : ["raft"];
const [REPLAY_TOPICS = 0, REPLAY_PARTITIONS = 1] = (process.env.STREAMNEST_BENCH_QUORUM_REPLAY ?? "1000x100").split("x").map(Number);
const PARALLEL = 16;
/** Creates in flight while the topics already present are made. */
const FILL_PARALLEL = 32;
const root = resolve(import.meta.dir, "../..");

function streamnest(mode = "raft"): string[] {
  // The controller runs from the older checkout's source, with this Bun.
  if (mode === "controller" && CONTROLLER_SRC) return [process.execPath, resolve(CONTROLLER_SRC, "src/main.ts")];
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
  /** Each broker's output since its last start. */
  readonly output = new Map<number, string>();
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
        ...streamnest(this.mode),
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
    this.output.set(id, "");
    const collect = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) this.output.set(id, (this.output.get(id) ?? "") + decoder.decode(chunk, { stream: true }));
    };
    void collect(proc.stdout);
    void collect(proc.stderr);
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
async function create(url: string, partitions = 1): Promise<boolean> {
  try {
    const res = await fetch(`${url}/create-topic`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // One copy: this part measures the metadata log, not the opening of replica logs
      // (the replication part's business), so topics stay cheap on disk at 100,000.
      body: JSON.stringify({ topic: `b-${process.pid}-${counter++}`, partitions, replication_factor: 1 }),
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

const WARMUP_SECONDS = 2;

async function topicCount(cluster: Cluster): Promise<number> {
  const body = (await (await fetch(`${cluster.url(1)}/list-topics`, { signal: AbortSignal.timeout(10_000) })).json()) as { topics: string[] };
  return body.topics.length;
}

async function fill(cluster: Cluster, topics: number, partitions = 1): Promise<void> {
  let made = 0;
  await Promise.all(
    Array.from({ length: FILL_PARALLEL }, async (_, loop) => {
      while (made < topics) {
        made++;
        if (!(await create(cluster.url((loop % 3) + 1), partitions))) made--;
      }
    }),
  );
}

async function metadataVersion(cluster: Cluster, id: number): Promise<number> {
  try {
    const body = (await (await fetch(`${cluster.url(id)}/cluster`, { signal: AbortSignal.timeout(2_000) })).json()) as { metadata_version?: number };
    return body.metadata_version ?? 0;
  } catch {
    return -1;
  }
}

/**
 * Kills -9 a follower of the quorum once every broker holds the same metadata, starts it
 * again, and answers the time to its first answer and the replay time it reports.
 */
async function restartTime(cluster: Cluster): Promise<{ startMs: number; replayMs: number; topics: number }> {
  for (;;) {
    const versions = await Promise.all([1, 2, 3].map((id) => metadataVersion(cluster, id)));
    if (new Set(versions).size === 1) break;
    await Bun.sleep(100);
  }
  const leader = await cluster.leader();
  const id = leader === 3 ? 2 : 3;
  await cluster.kill9(id);
  const started = performance.now();
  await cluster.start(id);
  const startMs = performance.now() - started;
  const line = /Metadata replayed .* \((\d+) topics\) in (\d+) ms/.exec(cluster.output.get(id) ?? "");
  return { startMs, replayMs: line ? Number(line[2]) : Number.NaN, topics: line ? Number(line[1]) : 0 };
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
    const rates: Array<{ size: number; one: number; many: number }> = [];
    for (const size of mode === "controller" ? CONTROLLER_SIZES : SIZES) {
      const cluster = new Cluster(mode);
      try {
        await Promise.all([1, 2, 3].map((id) => cluster.start(id)));
        await cluster.leader();
        // A fresh process is slow for its first hundreds of requests (the JIT): warm every
        // cluster the same way, then fill up to the size, so that sizes and modes compare.
        await rate(cluster, 1, WARMUP_SECONDS);
        await rate(cluster, PARALLEL, WARMUP_SECONDS);
        const warm = await topicCount(cluster);
        if (warm < size) await fill(cluster, size - warm);
        const before = await topicCount(cluster);
        failures.clear();
        const one = await rate(cluster, 1, SECONDS);
        const many = await rate(cluster, PARALLEL, SECONDS);
        const why = [...failures].map(([code, n]) => `${code} ${n}`).join(", ");
        console.log(`| ${mode} | ${before} | ${one.perSecond.toFixed(1)} | ${many.perSecond.toFixed(1)} | ${one.failed + many.failed}${why ? ` (${why})` : ""} |`);
        rates.push({ size, one: one.perSecond, many: many.perSecond });
      } finally {
        await cluster.stop();
      }
    }
    const first = rates[0];
    const last = rates[rates.length - 1];
    if (first && last && rates.length > 1)
      console.log(`| ${mode} | ratio ${last.size} / ${first.size} | ${(last.one / first.one).toFixed(2)} | ${(last.many / first.many).toFixed(2)} | |`);
  }
  if (MODES.includes("raft") && REPLAY_TOPICS > 0) await replay();
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

/** Part 3: restart of a broker at 10 topics, then at REPLAY_TOPICS x REPLAY_PARTITIONS. */
async function replay(): Promise<void> {
  const partitions = REPLAY_TOPICS * REPLAY_PARTITIONS;
  console.log(`\n| metadata | topics x partitions | topic-partitions | start to first answer ms | replay ms (broker's own) |`);
  console.log("| --- | ---: | ---: | ---: | ---: |");
  const cluster = new Cluster("raft");
  try {
    await Promise.all([1, 2, 3].map((id) => cluster.start(id)));
    await cluster.leader();
    await fill(cluster, 10);
    const small = await restartTime(cluster);
    console.log(`| raft | ${small.topics} x 1 | ${small.topics} | ${small.startMs.toFixed(0)} | ${small.replayMs} |`);
    const filled = performance.now();
    await fill(cluster, REPLAY_TOPICS, REPLAY_PARTITIONS);
    const fillSeconds = (performance.now() - filled) / 1000;
    const large = await restartTime(cluster);
    console.log(`| raft | ${REPLAY_TOPICS} x ${REPLAY_PARTITIONS} + ${small.topics} x 1 | ${partitions + small.topics} | ${large.startMs.toFixed(0)} | ${large.replayMs} |`);
    console.log(`| raft | ratio (${partitions} / ${small.topics}) | | ${(large.startMs / small.startMs).toFixed(2)} | ${(large.replayMs / Math.max(1, small.replayMs)).toFixed(1)} |`);
    console.log(`\n(made ${REPLAY_TOPICS} topics of ${REPLAY_PARTITIONS} partitions in ${fillSeconds.toFixed(1)} s; replay ms of 0 means under 1 ms)`);
  } finally {
    await cluster.stop();
  }
}

