/**
 * The HTTP benchmark: a real broker process started here, load from a separate process
 * (wrk when installed, else a Bun client run from this same file), and a bare Bun.serve
 * POST handler (and GET handler) measured in the same run as the ceilings. Each
 * broker measurement runs once per --workers value (BENCH_WORKERS, default 1,2).
 *
 * The single-message ratios (produce against the POST ceiling, /consume against the GET
 * ceiling) are taken in BENCH_PAIRS (default 5) back-to-back pairs, the ceiling then the
 * broker, and the median pair's ratio is quoted: this machine is shared, and a ceiling
 * measured once, a minute before the broker, swung the quoted ratio by half (the same
 * build read 37% and 62% of the GET ceiling in two runs). Three pairs were too few: one
 * run's produce pairs read 79%, 105% and 75%, another's /consume pairs 85%, 59% and 49%,
 * so the middle of three still moved by ten points from run to run. The write phases' dirty pages
 * are written out (sync) before the read phases, which otherwise met their writeback.
 * Before a ratio's pairs, BENCH_WARMUP_SECONDS (default 2) of the same load on each, not
 * measured: the first pair otherwise measured the broker's JIT compiling the path.
 *
 *   bun scripts/bench.ts http
 *   BENCH_SECONDS=5 bun scripts/bench.ts http      shorter runs
 *   BENCH_WORKERS=1,2,4 bun scripts/bench.ts http   other thread counts
 */
import type { Subprocess } from "bun";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { settleWrites } from "./cluster.ts";

const ROOT = resolve(import.meta.dir, "../..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);
/** Seconds of each half of a ceiling/broker pair. */
const PAIR_SECONDS = Math.max(2, Math.round(SECONDS / 2));
/** Seconds of the ceiling's then the broker's load, not measured, before a ratio's pairs. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = 50;
const MESSAGE = "x".repeat(100);
const BATCH = 1000;

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export interface LoadSpec {
  url: string;
  method: "GET" | "POST";
  body?: string;
  /** Replace `{offset}` in the URL by a random integer below this. */
  randomOffsetBelow?: number;
  /** Added to the random offset (default 0). */
  randomOffsetFrom?: number;
  connections: number;
  seconds: number;
  /** For an https:// URL: the CA the Bun load generator trusts (PEM); wrk verifies nothing. */
  ca?: string;
  /** Sent with every request (an Authorization header, say). */
  headers?: Record<string, string>;
}

// ---- load generators ------------------------------------------------------------------

function luaString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function wrkScript(spec: LoadSpec): string {
  const url = new URL(spec.url);
  const path = url.pathname + url.search;
  const lines = [`wrk.method = "${spec.method}"`, `wrk.headers["Content-Type"] = "application/json"`];
  for (const [name, value] of Object.entries(spec.headers ?? {})) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  if (spec.body !== undefined) lines.push(`wrk.body = ${luaString(spec.body)}`);
  if (spec.randomOffsetBelow !== undefined) {
    const [before, after] = decodeURIComponent(path).split("{offset}");
    lines.push(
      `math.randomseed(os.time())`,
      `request = function() return wrk.format(nil, ${luaString(before)} .. (${spec.randomOffsetFrom ?? 0} + math.random(0, ${spec.randomOffsetBelow - 1})) .. ${luaString(after)}) end`,
    );
  }
  // Count non-2xx answers (wrk reports them, but 204 counts as success here too).
  lines.push(
    `errors = 0`,
    `response = function(status, headers, body) if status >= 300 then errors = errors + 1 end end`,
  );
  return lines.join("\n");
}

function wrkDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-wrk-"));
  const script = join(dir, "load.lua");
  writeFileSync(script, wrkScript(spec));
  try {
    const threads = Math.min(2, spec.connections);
    const proc = Bun.spawn(
      ["wrk", `-t${threads}`, `-c${spec.connections}`, `-d${spec.seconds}s`, "--latency", "-s", script, spec.url.replace("{offset}", "0")],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    await proc.exited;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    if (!Number.isFinite(rps)) throw new Error(`wrk failed:\n${out}\n${err}`);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
    return {
      requestsPerSecond: rps,
      p50Ms: wrkDuration(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ""),
      p99Ms: wrkDuration(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ""),
      errors,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The fallback load generator, run as a separate Bun process (this file with `loadgen`). */
async function loadgen(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + spec.seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const url = spec.randomOffsetBelow === undefined ? spec.url : spec.url.replace("{offset}", String((spec.randomOffsetFrom ?? 0) + Math.floor(Math.random() * spec.randomOffsetBelow)));
      const started = performance.now();
      try {
        const res = await fetch(url, {
          method: spec.method,
          body: spec.body,
          headers: { ...(spec.body === undefined ? {} : { "content-type": "application/json" }), ...spec.headers },
          ...(spec.ca !== undefined ? { tls: { ca: spec.ca } } : {}),
        });
        await res.arrayBuffer();
        if (res.status >= 300) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - started);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: spec.connections }, worker));
  const elapsed = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? Number.NaN,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN,
    errors,
  };
}

async function runBunLoad(spec: LoadSpec): Promise<LoadResult> {
  // The spec by standard input: a batch body (over 128 KiB) is too long for one argument.
  const proc = Bun.spawn([process.execPath, import.meta.path, "loadgen"], { stdin: new Blob([JSON.stringify(spec)]), stdout: "pipe", stderr: "inherit" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return JSON.parse(out) as LoadResult;
}

export const haveWrk = Bun.which("wrk") !== null;
export function load(spec: LoadSpec): Promise<LoadResult> {
  return haveWrk ? runWrk(spec) : runBunLoad(spec);
}

// ---- processes under test -------------------------------------------------------------

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await Bun.sleep(25);
  }
  throw new Error(`${url} never answered`);
}

const BARE_SERVER = `
const server = Bun.serve({
  port: Number(process.argv[1]),
  hostname: "127.0.0.1",
  async fetch(req) {
    // GET: the least a /consume must do, read the query and answer a message.
    if (req.method === "GET") {
      const offset = Number(new URL(req.url).searchParams.get("offset") ?? 0);
      return Response.json({ offset, message: "${MESSAGE}" });
    }
    const body = await req.json();
    return Response.json({ offset: 0, partition: body.partition ?? 0 });
  },
});
`;

async function startBare(port: number): Promise<Subprocess> {
  const proc = Bun.spawn([process.execPath, "-e", `${BARE_SERVER}; console.log("up")`, String(port)], { stdout: "pipe", stderr: "inherit" });
  for (let i = 0; i < 400; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" });
      return proc;
    } catch {
      await Bun.sleep(25);
    }
  }
  throw new Error("the bare Bun.serve server did not start");
}

async function post(base: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Produce-to-SSE latency: one producer paced at `rate`/s, one stream reader, one clock. */
async function sseLatency(base: string, rate: number, seconds: number): Promise<{ p50: number; p99: number; received: number; sent: number }> {
  await post(base, "/create-topic", { topic: "bench-sse", partitions: 1 });
  const controller = new AbortController();
  const res = await fetch(`${base}/topics/bench-sse/partitions/0/records/stream`, { signal: controller.signal });
  if (!res.body) throw new Error("no stream");
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const latencies: number[] = [];
  const total = rate * seconds;
  let buffer = "";
  const reading = (async () => {
    while (latencies.length < total) {
      const { done, value } = await reader.read();
      if (done) break;
      const now = performance.now();
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = event.split("\n").find((l) => l.startsWith("data: "));
        if (!data) continue;
        const record = JSON.parse(data.slice(6)) as { message: string };
        latencies.push(now - Number(record.message.split("|")[0]));
      }
    }
  })();
  // Warm the connection, then pace the sends against the clock, not with a fixed sleep.
  const began = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = began + (sent * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await Bun.sleep(wait - 0.5);
    const message = `${performance.now()}|${"x".repeat(80)}`;
    await post(base, "/produce", { topic: "bench-sse", message, partition: 0 });
    sent++;
  }
  await Promise.race([reading, Bun.sleep(5000)]);
  controller.abort();
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(latencies.length * 0.5)] ?? Number.NaN,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN,
    received: latencies.length,
    sent,
  };
}

// ---- the run --------------------------------------------------------------------------

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/**
 * --workers values measured, one broker each, in this run (BENCH_WORKERS=1,2 by default):
 * the broker's own thread alone against the threads that share its port.
 */
const WORKERS = (process.env.BENCH_WORKERS ?? "1,2").split(",").map((w) => Number(w.trim()));

/**
 * CPU seconds a process (every thread of it) has used so far, from /proc (Linux; NaN
 * elsewhere). Divided by the requests of a measurement it gives the broker's CPU per
 * request, which a machine shared with other work does not blur as much as req/s.
 */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return Number.NaN;
  }
}

function readFileSyncOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** The broker's CPU µs per request over one load. */
async function measured(pid: number, spec: LoadSpec): Promise<LoadResult & { cpuUs: number }> {
  const before = cpuSeconds(pid);
  const result = await load(spec);
  const cpuUs = ((cpuSeconds(pid) - before) * 1e6) / (result.requestsPerSecond * spec.seconds);
  return { ...result, cpuUs };
}

function cpuText(r: { cpuUs: number }): string {
  return Number.isFinite(r.cpuUs) ? `, broker CPU ${fmt(r.cpuUs, 0)} µs/req` : "";
}

interface Ceilings {
  /** The bare server's process, whose CPU per request is measured with each load. */
  pid: number;
  post: LoadSpec;
  get: LoadSpec;
  /** Every ceiling measurement made, for the ceilings' rows. */
  seen: { post: LoadResult[]; get: LoadResult[] };
}

/** The element whose `key` is the median (the lower middle of an even count). */
function medianBy<T>(values: readonly T[], key: (v: T) => number): T {
  const sorted = [...values].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

interface PairedRatio {
  /** The broker's measurement of the median pair. */
  broker: LoadResult & { cpuUs: number };
  /** The median of the pairs' broker / ceiling ratios. */
  ratio: number;
  ratios: number[];
  /**
   * The median of the pairs' ceiling / broker CPU per request: the same comparison made
   * from the CPU each process spent, which the load generator and other work sharing the
   * machine blur less than requests per second (NaN where /proc is not there).
   */
  cpuRatio: number;
  /** The median pair's CPU µs per request of the ceiling. */
  ceilingCpuUs: number;
}

/**
 * `PAIRS` pairs, each the ceiling then the broker under the same load, back to back; the
 * median pair's ratio. Noise that lasts a few seconds then hits one pair, not the figure.
 */
async function paired(pid: number, ceilingPid: number, ceiling: LoadSpec, seen: LoadResult[], spec: LoadSpec): Promise<PairedRatio> {
  // Warm (OpenMessaging Benchmark's warmup): a new broker's first seconds under a load also
  // measure the JIT compiling its path and the heap growing into fresh pages.
  if (WARMUP_SECONDS > 0) {
    await load({ ...ceiling, seconds: WARMUP_SECONDS });
    await load({ ...spec, seconds: WARMUP_SECONDS });
  }
  const pairs: { broker: LoadResult & { cpuUs: number }; ratio: number; cpuRatio: number; ceilingCpuUs: number }[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const top = await measured(ceilingPid, ceiling);
    seen.push(top);
    const broker = await measured(pid, { ...spec, seconds: PAIR_SECONDS });
    pairs.push({ broker, ratio: broker.requestsPerSecond / top.requestsPerSecond, cpuRatio: top.cpuUs / broker.cpuUs, ceilingCpuUs: top.cpuUs });
  }
  const mid = medianBy(pairs, (p) => p.ratio);
  const cpuMid = medianBy(pairs, (p) => p.cpuRatio);
  return { broker: mid.broker, ratio: mid.ratio, ratios: pairs.map((p) => p.ratio), cpuRatio: cpuMid.cpuRatio, ceilingCpuUs: cpuMid.ceilingCpuUs };
}

function ratiosText(r: PairedRatio): string {
  const cpu = Number.isFinite(r.cpuRatio) ? `; by CPU per request, ceiling ${fmt(r.ceilingCpuUs, 0)} µs is ${fmt(r.cpuRatio * 100, 1)}% of the broker's (median pair)` : "";
  return `median of ${r.ratios.length} pairs (${r.ratios.map((x) => `${fmt(x * 100, 0)}%`).join(", ")})${cpu}`;
}

export async function run(): Promise<void> {
  const barePort = await freePort();
  let bare: Subprocess | undefined;
  const rows: [string, string, string][] = [];
  const single = JSON.stringify({ topic: "bench", partition: 0, message: MESSAGE });
  console.log(
    `load generator: ${haveWrk ? "wrk" : "Bun fetch client (wrk not installed)"}, ${SECONDS} s per measurement (${PAIRS} pairs of ${PAIR_SECONDS} s for the ratios), ${CONNECTIONS} connections, --workers=${WORKERS.join(" and ")}`,
  );
  try {
    // The ceiling: a bare Bun.serve (one thread) that parses the same body, up for the whole
    // run (idle, it costs nothing) so that each broker measurement is paired with one.
    bare = await startBare(barePort);
    const ceilings: Ceilings = {
      pid: bare.pid,
      post: { url: `http://127.0.0.1:${barePort}/produce`, method: "POST", body: single, connections: CONNECTIONS, seconds: PAIR_SECONDS },
      get: { url: `http://127.0.0.1:${barePort}/consume?topic=bench&partition=0&offset={offset}`, method: "GET", randomOffsetBelow: 1_000_000, connections: CONNECTIONS, seconds: PAIR_SECONDS },
      seen: { post: [], get: [] },
    };
    for (const workers of WORKERS) rows.push(...(await measureBroker(workers, ceilings, single)));
    const ceilingRow = (name: string, seen: LoadResult[]): [string, string, string] => {
      const mid = medianBy(seen, (r) => r.requestsPerSecond);
      return [name, `${fmt(mid.requestsPerSecond)} req/s`, `median of ${seen.length} (${seen.map((r) => fmt(r.requestsPerSecond)).join(", ")}), p50 ${fmt(mid.p50Ms, 2)} ms, p99 ${fmt(mid.p99Ms, 2)} ms`];
    };
    rows.unshift(ceilingRow("bare Bun.serve POST (ceiling)", ceilings.seen.post), ceilingRow("bare Bun.serve GET (ceiling)", ceilings.seen.get));
  } finally {
    bare?.kill();
    await bare?.exited;
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  const width2 = Math.max(...rows.map((r) => r[1].length));
  console.log(`| ${"measurement".padEnd(width)} | ${"result".padEnd(width2)} | detail |`);
  console.log(`| ${"-".repeat(width)} | ${"-".repeat(width2)} | --- |`);
  for (const [a, b, c] of rows) console.log(`| ${a.padEnd(width)} | ${b.padEnd(width2)} | ${c} |`);
}

/** Every broker measurement with --workers=`workers`, on a broker of its own (empty at first). */
async function measureBroker(workers: number, ceilings: Ceilings, single: string): Promise<[string, string, string][]> {
  const rows: [string, string, string][] = [];
  const tag = `[workers=${workers}]`;
  const dataDir = mkdtempSync(join(tmpdir(), "streamnest-bench-http-"));
  const brokerPort = await freePort();
  const base = `http://127.0.0.1:${brokerPort}`;
  const broker = Bun.spawn(
    [process.execPath, join(ROOT, "src/main.ts"), "broker", "--id=1", `--port=${brokerPort}`, `--data-dir=${dataDir}`, "--host=127.0.0.1", `--workers=${workers}`],
    { stdout: "ignore", stderr: "inherit", env: { ...process.env, NO_COLOR: "1" } },
  );
  try {
    await waitFor(`${base}/health`);
    await post(base, "/create-topic", { topic: "bench", partitions: 1 });
    const producing = await paired(broker.pid, ceilings.pid, ceilings.post, ceilings.seen.post, { url: `${base}/produce`, method: "POST", body: single, connections: CONNECTIONS, seconds: SECONDS });
    const produce = producing.broker;
    rows.push([
      `${tag} produce, 1 × 100 B, explicit partition`,
      `${fmt(produce.requestsPerSecond)} req/s`,
      `p50 ${fmt(produce.p50Ms, 2)} ms, p99 ${fmt(produce.p99Ms, 2)} ms, ${fmt(producing.ratio * 100, 1)}% of the POST ceiling (target ≥ 75%), ${ratiosText(producing)}${cpuText(produce)}${produce.errors ? `, ${produce.errors} errors` : ""}`,
    ]);

    const batchBody = JSON.stringify({ topic: "bench", messages: Array.from({ length: BATCH }, () => ({ message: MESSAGE, partition: 0 })) });
    const batch = await measured(broker.pid, { url: `${base}/produce`, method: "POST", body: batchBody, connections: 4, seconds: SECONDS });
    rows.push([
      `${tag} batch produce, ${BATCH} × 100 B`,
      `${fmt(batch.requestsPerSecond * BATCH)} msg/s`,
      `${fmt(batch.requestsPerSecond)} req/s, p99 ${fmt(batch.p99Ms, 1)} ms (target ≥ 500,000 msg/s)${cpuText(batch)}${batch.errors ? `, ${batch.errors} errors` : ""}`,
    ]);

    // The write phases left ~1 GB of dirty pages, which the kernel writes back within 30 s
    // (dirty_expire_centisecs), in whichever read measurement that falls: written out now,
    // the reads measure reading, not the last phase's writeback.
    settleWrites();
    const described = (await (await fetch(`${base}/topics/bench`)).json()) as { partitions: { end_offset: number }[] };
    const end = described.partitions[0].end_offset;
    const readSize = 1000;
    const reads = await measured(broker.pid, {
      url: `${base}/topics/bench/partitions/0/records?offset={offset}&max=${readSize}`,
      method: "GET",
      randomOffsetBelow: Math.max(1, end - readSize),
      connections: 4,
      seconds: SECONDS,
    });
    rows.push([
      `${tag} batch read, ${readSize} per request, random offsets`,
      `${fmt(reads.requestsPerSecond * readSize)} msg/s`,
      `${fmt(reads.requestsPerSecond)} req/s, p99 ${fmt(reads.p99Ms, 1)} ms over ${fmt(end)} records (target ≥ 1,000,000 msg/s)${cpuText(reads)}${reads.errors ? `, ${reads.errors} errors` : ""}`,
    ]);

    const consuming = await paired(broker.pid, ceilings.pid, ceilings.get, ceilings.seen.get, {
      url: `${base}/consume?topic=bench&partition=0&offset={offset}`,
      method: "GET",
      randomOffsetBelow: end,
      connections: CONNECTIONS,
      seconds: SECONDS,
    });
    const consume = consuming.broker;
    rows.push([
      `${tag} /consume, 1 message, random offsets`,
      `${fmt(consume.requestsPerSecond)} req/s`,
      `p50 ${fmt(consume.p50Ms, 2)} ms, p99 ${fmt(consume.p99Ms, 2)} ms, ${fmt(consuming.ratio * 100, 1)}% of the GET ceiling (target ≥ 60%), ${ratiosText(consuming)}${cpuText(consume)}${consume.errors ? `, ${consume.errors} errors` : ""}`,
    ]);

    // A consumer near the end (the newest 1,000 records): what the tail cache serves.
    const recentPairs = await paired(broker.pid, ceilings.pid, ceilings.get, ceilings.seen.get, {
      url: `${base}/consume?topic=bench&partition=0&offset={offset}`,
      method: "GET",
      randomOffsetFrom: Math.max(0, end - 1000),
      randomOffsetBelow: Math.min(end, 1000),
      connections: CONNECTIONS,
      seconds: SECONDS,
    });
    const recent = recentPairs.broker;
    rows.push([
      `${tag} /consume, 1 message, newest 1,000 offsets`,
      `${fmt(recent.requestsPerSecond)} req/s`,
      `p50 ${fmt(recent.p50Ms, 2)} ms, p99 ${fmt(recent.p99Ms, 2)} ms, ${fmt(recentPairs.ratio * 100, 1)}% of the GET ceiling, ${ratiosText(recentPairs)}${cpuText(recent)}${recent.errors ? `, ${recent.errors} errors` : ""}`,
    ]);

    const sse = await sseLatency(base, 1000, Math.min(5, SECONDS));
    rows.push([
      `${tag} produce → SSE latency at 1,000 msg/s`,
      `p50 ${fmt(sse.p50, 2)} ms`,
      `p99 ${fmt(sse.p99, 2)} ms (target < 10 ms), ${fmt(sse.received)} of ${fmt(sse.sent)} delivered`,
    ]);
    const status = readFileSyncOr(`/proc/${broker.pid}/status`);
    const kb = (field: string): number | undefined => {
      const found = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
      return found === undefined ? undefined : Number(found);
    };
    const rss = kb("VmRSS");
    // Mapped segments (storage/file-mapping.ts) count as file-backed: page cache the
    // kernel may drop, not memory the broker allocated.
    if (rss !== undefined) {
      rows.push([`${tag} broker resident memory after the run`, `${fmt(rss / 1024)} MB`, `VmRSS, every thread: ${fmt((kb("RssAnon") ?? 0) / 1024)} MB anonymous, ${fmt((kb("RssFile") ?? 0) / 1024)} MB file-backed (mapped segments, page cache)`]);
    }
    const threads = [...((await (await fetch(`${base}/metrics`)).text()).matchAll(/^streamnest_http_thread_requests_total\{thread="(\d+)"\} (\d+)/gm))];
    if (threads.length > 0)
      rows.push([`${tag} requests per thread`, threads.map((m) => fmt(Number(m[2]))).join(" / "), "thread 0 owns the logs; the kernel spreads connections (SO_REUSEPORT)"]);
  } finally {
    broker.kill("SIGTERM");
    await broker.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.main) {
  if (process.argv[2] === "loadgen") {
    const result = await loadgen(JSON.parse(await Bun.stdin.text()) as LoadSpec);
    process.stdout.write(JSON.stringify(result));
  } else {
    await run();
  }
}
