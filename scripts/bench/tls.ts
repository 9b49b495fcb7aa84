/**
 * The TLS benchmark (issue 14): single-message produce over HTTPS as a fraction of
 * plain HTTP, measured in the same run against two brokers started here, one of each,
 * with the same load generator (wrk when installed, else the Bun client of http.ts)
 * over keep-alive connections; and the same over the Kafka listener (kafkajs, one
 * message per Produce request, acks=all, several sends in flight), TLS against
 * plaintext. The rounds alternate (plain, TLS, plain, TLS) so that a
 * machine busy with something else weighs on both alike. Certificates are made for the
 * run with openssl and removed after.
 *
 *   bun scripts/bench.ts tls
 *   BENCH_SECONDS=2 BENCH_ROUNDS=1 bun scripts/bench.ts tls     a quick look
 */
import type { Subprocess } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { makeTestCa } from "../../test/helpers/tls-certs.ts";
import { fmt, freePort, haveWrk, load, type LoadResult } from "./http.ts";

const ROOT = resolve(import.meta.dir, "../..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = 50;
/** kafkajs sends one connection's requests in order; this many sends wait on it at once. */
const KAFKA_IN_FLIGHT = 16;
const MESSAGE = "x".repeat(100);

function streamnest(): string[] {
  const bin = process.env.STREAMNEST_BIN;
  return bin ? [resolve(ROOT, bin)] : [process.execPath, join(ROOT, "src/main.ts")];
}

interface Started {
  proc: Subprocess;
  base: string;
  dataDir: string;
  kafkaPort: number;
}

/** Reads the broker's stdout until it names its Kafka port. */
async function kafkaPortOf(proc: Subprocess<"ignore", "pipe", "inherit">): Promise<number> {
  const decoder = new TextDecoder();
  let text = "";
  const reader = proc.stdout.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the broker exited before naming its Kafka port:\n${text}`);
    text += decoder.decode(value, { stream: true });
    const match = /^Kafka listener on :(\d+)/m.exec(text);
    if (match) {
      // Keep draining, so the broker never blocks on a full pipe.
      void (async () => {
        while (!(await reader.read()).done);
      })();
      return Number(match[1]);
    }
  }
}

async function startBroker(tls: string[], ca: string | undefined): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), "streamnest-bench-tls-"));
  const port = await freePort();
  const proc = Bun.spawn([...streamnest(), "broker", "--id=1", `--port=${port}`, "--host=127.0.0.1", `--data-dir=${dataDir}`, "--kafka-port=auto", ...tls], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const kafkaPort = await kafkaPortOf(proc);
  const base = `${tls.length > 0 ? "https" : "http"}://localhost:${port}`;
  const init = ca === undefined ? {} : { tls: { ca } };
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(`${base}/health`, init)).ok) break;
    } catch {
      // not up yet
    }
    await Bun.sleep(25);
  }
  const created = await fetch(`${base}/create-topic`, {
    method: "POST",
    body: JSON.stringify({ topic: "bench", partitions: 1 }),
    headers: { "content-type": "application/json" },
    ...init,
  });
  if (!created.ok) throw new Error(`${base}: create-topic answered ${created.status}`);
  return { proc, base, dataDir, kafkaPort };
}

async function stop(started: Started | undefined): Promise<void> {
  if (started === undefined) return;
  started.proc.kill("SIGTERM");
  await started.proc.exited;
  rmSync(started.dataDir, { recursive: true, force: true });
}

/** Single-message Produce requests per second through kafkajs, `inFlight` sends at a time. */
async function kafkaLoad(port: number, ca: string | undefined, seconds: number, inFlight: number): Promise<LoadResult> {
  const kafka = new Kafka({
    clientId: "bench-tls",
    brokers: [`localhost:${port}`],
    logLevel: logLevel.NOTHING,
    ...(ca !== undefined ? { ssl: { ca: [ca] } } : {}),
  });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const latencies: number[] = [];
  let errors = 0;
  try {
    await producer.send({ topic: "bench-kafka", acks: -1, messages: [{ value: MESSAGE }] });
    const deadline = performance.now() + seconds * 1000;
    const worker = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const started = performance.now();
        try {
          await producer.send({ topic: "bench-kafka", acks: -1, messages: [{ value: MESSAGE }] });
        } catch {
          errors++;
        }
        latencies.push(performance.now() - started);
      }
    };
    const began = performance.now();
    await Promise.all(Array.from({ length: inFlight }, worker));
    const elapsed = (performance.now() - began) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      requestsPerSecond: latencies.length / elapsed,
      p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? Number.NaN,
      p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN,
      errors,
    };
  } finally {
    await producer.disconnect();
  }
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

export async function run(): Promise<void> {
  const certs = makeTestCa("StreamNest Bench CA");
  const leaf = certs.issue("bench-broker");
  const ca = readFileSync(certs.ca, "utf8");
  let plain: Started | undefined;
  let secure: Started | undefined;
  const rows: [string, string, string][] = [];
  try {
    plain = await startBroker([], undefined);
    secure = await startBroker([`--tls-cert=${leaf.cert}`, `--tls-key=${leaf.key}`], ca);
    console.log(`load generator: ${haveWrk ? "wrk" : "Bun fetch client (wrk not installed)"}, ${ROUNDS} round(s) of ${SECONDS} s each, ${CONNECTIONS} keep-alive connections`);
    const body = JSON.stringify({ topic: "bench", partition: 0, message: MESSAGE });
    const plainRuns: LoadResult[] = [];
    const tlsRuns: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      plainRuns.push(await load({ url: `${plain.base}/produce`, method: "POST", body, connections: CONNECTIONS, seconds: SECONDS }));
      tlsRuns.push(await load({ url: `${secure.base}/produce`, method: "POST", body, connections: CONNECTIONS, seconds: SECONDS, ca }));
    }
    const kafkaPlainRuns: LoadResult[] = [];
    const kafkaTlsRuns: LoadResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      kafkaPlainRuns.push(await kafkaLoad(plain.kafkaPort, undefined, SECONDS, KAFKA_IN_FLIGHT));
      kafkaTlsRuns.push(await kafkaLoad(secure.kafkaPort, ca, SECONDS, KAFKA_IN_FLIGHT));
    }
    const http = combine(plainRuns);
    const https = combine(tlsRuns);
    const kafkaPlain = combine(kafkaPlainRuns);
    const kafkaTls = combine(kafkaTlsRuns);
    const errors = (r: LoadResult) => (r.errors ? `, ${r.errors} errors` : "");
    rows.push(["produce, 1 × 100 B, plain HTTP", `${fmt(http.requestsPerSecond)} req/s`, `p50 ${fmt(http.p50Ms, 2)} ms, p99 ${fmt(http.p99Ms, 2)} ms${errors(http)}`]);
    rows.push([
      "produce, 1 × 100 B, HTTPS",
      `${fmt(https.requestsPerSecond)} req/s`,
      `p50 ${fmt(https.p50Ms, 2)} ms, p99 ${fmt(https.p99Ms, 2)} ms, ${fmt((https.requestsPerSecond / http.requestsPerSecond) * 100, 1)}% of plain HTTP (target ≥ 80%)${errors(https)}`,
    ]);
    rows.push([
      `Kafka produce, 1 × 100 B, plaintext`,
      `${fmt(kafkaPlain.requestsPerSecond)} req/s`,
      `kafkajs, acks=all, ${KAFKA_IN_FLIGHT} in flight, p50 ${fmt(kafkaPlain.p50Ms, 2)} ms, p99 ${fmt(kafkaPlain.p99Ms, 2)} ms${errors(kafkaPlain)}`,
    ]);
    rows.push([
      `Kafka produce, 1 × 100 B, TLS`,
      `${fmt(kafkaTls.requestsPerSecond)} req/s`,
      `p50 ${fmt(kafkaTls.p50Ms, 2)} ms, p99 ${fmt(kafkaTls.p99Ms, 2)} ms, ${fmt((kafkaTls.requestsPerSecond / kafkaPlain.requestsPerSecond) * 100, 1)}% of plaintext (target ≥ 80%)${errors(kafkaTls)}`,
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
