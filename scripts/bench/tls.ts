/**
 * The TLS benchmark (issue 14): single-message produce over HTTPS with token
 * authentication as a fraction of plain HTTP without authentication, measured in the same
 * run against two brokers started here, one of each, with the same load generator (wrk
 * when installed, else the Bun client of http.ts) over the same number of keep-alive
 * connections; and Kafka produce with TLS + SASL/SCRAM as a fraction of plaintext
 * (kafka.ts's comparison: kafkajs, one message per Produce request, connections kept).
 *
 * The token is an ordinary user's, allowed WRITE on the topic by an ACL, so each request
 * pays what a client's does: the token checked, then the ACL. Steady state is what is
 * measured: the connections (and so their TLS handshakes) are opened once per round, not
 * per request, and a warm-up before the rounds lets each broker compile its request path
 * first. The HTTP rounds alternate (plain, secure, secure, plain …) so that a machine busy
 * with something else weighs on both alike, and the ratio is the median of the rounds' ratios; the brokers' CPU per request is shown beside the rates, being much
 * less moved by outside load. Certificates are made for the run with openssl and removed
 * after.
 *
 *   bun scripts/bench.ts tls
 *   BENCH_SECONDS=2 BENCH_ROUNDS=1 bun scripts/bench.ts tls     a quick look
 */
import type { Subprocess } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makeTestCa } from "../../test/helpers/tls-certs.ts";
import { fmt, freePort, haveWrk, load, type LoadResult } from "./http.ts";
import { compare, median, variants } from "./kafka.ts";
import { withCpu } from "./proc-cpu.ts";

const ROOT = resolve(import.meta.dir, "../..");
// More, shorter rounds than one long one: on a shared machine a burst of outside load
// spoils a round or two, and the median of six paired rounds shrugs that off.
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CONNECTIONS = 50;
const WARM_UP_SECONDS = 2;
const MESSAGE = "x".repeat(100);
const TOPIC = "bench";

function streamnest(): string[] {
  const bin = process.env.STREAMNEST_BIN;
  return bin ? [resolve(ROOT, bin)] : [process.execPath, join(ROOT, "src/main.ts")];
}

interface Started {
  proc: Subprocess;
  base: string;
  dataDir: string;
  /** Headers of the bench's requests: a user's token when the broker checks tokens. */
  headers: Record<string, string>;
}

/** A broker with topic "bench"; with `secure`, HTTPS and --auth=token, and a user allowed to write it. */
async function startBroker(secure: { cert: string; key: string; ca: string } | undefined): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), "streamnest-bench-tls-"));
  const port = await freePort();
  const adminTokenFile = join(dataDir, "admin-token");
  const flags = secure === undefined ? [] : [`--tls-cert=${secure.cert}`, `--tls-key=${secure.key}`, "--auth=token", `--admin-token-file=${adminTokenFile}`];
  const proc = Bun.spawn([...streamnest(), "broker", "--id=1", `--port=${port}`, "--host=127.0.0.1", `--data-dir=${join(dataDir, "data")}`, ...flags], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const base = `${secure === undefined ? "http" : "https"}://localhost:${port}`;
  const init = secure === undefined ? {} : { tls: { ca: secure.ca } };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`, init)).ok) break;
    } catch {
      // not up yet
    }
    if (i > 400) throw new Error(`${base} never answered`);
    await Bun.sleep(25);
  }
  const admin: Record<string, string> = { "content-type": "application/json" };
  if (secure !== undefined) admin.authorization = `Bearer ${readFileSync(adminTokenFile, "utf8").trim()}`;
  const post = async (path: string, body: unknown): Promise<unknown> => {
    for (let i = 0; ; i++) {
      const res = await fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body), headers: admin, ...init });
      if (res.ok) return res.json();
      if (i > 100) throw new Error(`${base}${path} answered ${res.status}: ${await res.text()}`);
      await Bun.sleep(100);
    }
  };
  await post("/create-topic", { topic: TOPIC, partitions: 1 });
  const headers: Record<string, string> = {};
  if (secure !== undefined) {
    await post("/admin/users", { name: "bench", password: "bench-password" });
    await post("/admin/acls", { principal: "User:bench", operation: "WRITE", resource_type: "TOPIC", resource_name: TOPIC, pattern_type: "LITERAL" });
    const { token } = (await post("/admin/users/bench/tokens", {})) as { token: string };
    headers.authorization = `Bearer ${token}`;
  }
  return { proc, base, dataDir, headers };
}

async function stop(started: Started | undefined): Promise<void> {
  if (started === undefined) return;
  started.proc.kill("SIGTERM");
  await started.proc.exited;
  rmSync(started.dataDir, { recursive: true, force: true });
}

/** Requests per second over all rounds, and the slowest p99 seen. */
function combine(results: LoadResult[]): LoadResult {
  const total = results.reduce((sum, r) => sum + r.requestsPerSecond, 0);
  return {
    requestsPerSecond: total / results.length,
    p50Ms: results.reduce((sum, r) => sum + r.p50Ms, 0) / results.length,
    p99Ms: Math.max(...results.map((r) => r.p99Ms)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
  };
}

/** Broker CPU µs per request of a series of rounds (NaN where /proc is missing). */
function cpuPerRequest(cpu: { ms: number }, runs: LoadResult[]): number {
  const requests = runs.reduce((sum, r) => sum + r.requestsPerSecond * SECONDS, 0);
  return (cpu.ms * 1000) / requests;
}

export async function run(): Promise<void> {
  const certs = makeTestCa("StreamNest Bench CA");
  const leaf = certs.issue("bench-broker");
  const ca = readFileSync(certs.ca, "utf8");
  let plain: Started | undefined;
  let secure: Started | undefined;
  const rows: [string, string, string][] = [];
  try {
    plain = await startBroker(undefined);
    secure = await startBroker({ cert: leaf.cert, key: leaf.key, ca });
    console.log(
      `load generator: ${haveWrk ? "wrk" : "Bun fetch client (wrk not installed)"}, ${ROUNDS} round(s) of ${SECONDS} s each, ${CONNECTIONS} keep-alive connections`,
    );
    const body = JSON.stringify({ topic: TOPIC, partition: 0, message: MESSAGE });
    const plainRuns: LoadResult[] = [];
    const secureRuns: LoadResult[] = [];
    const [plainCpu, secureCpu] = [{ ms: 0 }, { ms: 0 }];
    const ratios: number[] = [];
    const p = plain;
    const s = secure;
    const plainLoad = (seconds: number) => load({ url: `${p.base}/produce`, method: "POST", body, connections: CONNECTIONS, seconds });
    const secureLoad = (seconds: number) =>
      load({ url: `${s.base}/produce`, method: "POST", body, connections: CONNECTIONS, seconds, ca, headers: s.headers });
    // Unmeasured: each broker's first seconds compile its request path (JIT), which is set-up, not steady state.
    await plainLoad(WARM_UP_SECONDS);
    await secureLoad(WARM_UP_SECONDS);
    for (let round = 0; round < ROUNDS; round++) {
      const runPlain = () => withCpu(p.proc.pid, plainCpu, () => plainLoad(SECONDS));
      const runSecure = () => withCpu(s.proc.pid, secureCpu, () => secureLoad(SECONDS));
      // Which goes first alternates too, so neither always runs just after the other's load.
      let plainRun: LoadResult;
      let other: LoadResult;
      if (round % 2 === 0) {
        plainRun = await runPlain();
        other = await runSecure();
      } else {
        other = await runSecure();
        plainRun = await runPlain();
      }
      plainRuns.push(plainRun);
      secureRuns.push(other);
      ratios.push(other.requestsPerSecond / plainRun.requestsPerSecond);
    }
    const kafka = await compare(variants().filter((v) => v.name === "plaintext, no auth" || v.name === "TLS + SASL/SCRAM-SHA-256"));
    const http = combine(plainRuns);
    const https = combine(secureRuns);
    const errors = (r: { errors: number }) => (r.errors ? `, ${r.errors} errors` : "");
    rows.push([
      "produce, 1 × 100 B, plain HTTP, no auth",
      `${fmt(http.requestsPerSecond)} req/s`,
      `p50 ${fmt(http.p50Ms, 2)} ms, p99 ${fmt(http.p99Ms, 2)} ms, broker CPU ${fmt(cpuPerRequest(plainCpu, plainRuns), 1)} µs/req${errors(http)}`,
    ]);
    rows.push([
      "produce, 1 × 100 B, HTTPS + token",
      `${fmt(https.requestsPerSecond)} req/s`,
      `p50 ${fmt(https.p50Ms, 2)} ms, p99 ${fmt(https.p99Ms, 2)} ms, broker CPU ${fmt(cpuPerRequest(secureCpu, secureRuns), 1)} µs/req (plain HTTP's is ${fmt((cpuPerRequest(plainCpu, plainRuns) / cpuPerRequest(secureCpu, secureRuns)) * 100, 1)}% of it), ${fmt(median(ratios) * 100, 1)}% of plain HTTP (median of rounds ${ratios.map((r) => fmt(r, 2)).join(", ")}; target ≥ 80%)${errors(https)}`,
    ]);
    for (const [i, r] of kafka.entries())
      rows.push([
        `Kafka produce, 1 × 100 B, ${r.variant.name}`,
        `${fmt(r.messagesPerSecond)} msg/s`,
        `kafkajs, acks=1, broker CPU ${fmt(r.brokerCpuUsPerMessage, 0)} µs/msg${i === 0 ? "" : `, ${fmt(r.ofFirst * 100, 1)}% of plaintext (median of turns; target ≥ 80%)`}${errors(r)}`,
      ]);
  } finally {
    await stop(plain);
    await stop(secure);
    certs.remove();
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  const width2 = Math.max(...rows.map((r) => r[1].length));
  console.log(`| ${"measurement".padEnd(width)} | ${"result".padEnd(width2)} | detail |`);
  console.log(`| ${"-".repeat(width)} | ${"-".repeat(width2)} | --- |`);
  for (const [a, b, c] of rows) console.log(`| ${a.padEnd(width)} | ${b.padEnd(width2)} | ${c} |`);
}

if (import.meta.main) await run();
