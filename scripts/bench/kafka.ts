/**
 * The Kafka-protocol benchmark: single-message produce (kafkajs, acks=1, several sends in
 * flight on one connection) against a real broker process per security variant, all in
 * the same run, each reported as a fraction of plaintext without authentication, with the
 * broker's CPU per message beside it; and connections per second, where SCRAM's cost lies
 * (a few HMACs per connection on the broker, PBKDF2 of 4096 iterations on the client).
 *
 *   bun scripts/bench.ts kafka
 *   BENCH_SECONDS=3 bun scripts/bench.ts kafka      shorter runs
 *
 * What is measured is steady-state produce, as Kafka's own figures are: one load process
 * holds one producer per variant, connected, authenticated and warmed up (TLS handshake,
 * SASL exchange, metadata, the leader's connection, a first second of sends) before any
 * clock starts, and keeps those connections for the whole run; a handshake or SASL exchange
 * per message would measure connection set-up, which the connects/s column shows apart.
 * The variants take turns in 1-second slices (the first of each turn moving round), so a
 * machine busy with other work weighs on all of them alike: run one after the other, a
 * burst of outside load once made one variant look 5 times slower than another.
 *
 * Adding a variant is one entry in variants(). The TLS rows (issue 14's target: TLS + SCRAM
 * ≥ 0.8 of plaintext) use a self-signed certificate made by openssl at bench time, never
 * a committed key, removed after the run.
 */
import type { Subprocess } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Kafka, type KafkaConfig, logLevel, type Producer } from "kafkajs";
import { withCpu } from "./proc-cpu.ts";

const ROOT = resolve(import.meta.dir, "../..");
/** Seconds of measured produce per variant, run in slices of SLICE_SECONDS taken in turn. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const SLICE_SECONDS = 1;
const IN_FLIGHT = 16;
const CONNECTS = 40;
const TOPIC = "bench";
const USER = { name: "bench", password: "bench-password" };

export interface Variant {
  readonly name: string;
  /** Broker flags beyond id, ports, data dir and host; `kafkaPort`: the port its Kafka listener gets. */
  brokerArgs(dir: string, kafkaPort: number): string[];
  /** The client's security settings (kafkajs `sasl`, `ssl`). */
  readonly client: Partial<KafkaConfig>;
  /** Whether the broker needs the admin token for its HTTP calls (users, ACLs). */
  readonly tokenAuth: boolean;
  /** With TLS the broker's HTTP API is HTTPS too: its set-up calls trust this CA (PEM). */
  readonly ca?: string;
}

const scram = { mechanism: "scram-sha-256", username: USER.name, password: USER.password } as const;

/** Made when the part runs (the TLS rows make a certificate), not when another part imports a helper. */
export function variants(): Variant[] {
  return [
    { name: "plaintext, no auth", brokerArgs: () => [], client: {}, tokenAuth: false },
    { name: "SASL/SCRAM-SHA-256", brokerArgs: (dir) => ["--auth=token", `--admin-token-file=${join(dir, "admin-token")}`], client: { sasl: scram }, tokenAuth: true },
    ...tlsVariants(),
  ];
}

/** TLS alone and TLS + SCRAM, on a certificate for 127.0.0.1 made now (none when openssl is missing). */
function tlsVariants(): Variant[] {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-bench-kafka-tls-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
  const made = spawnSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert,
  ]);
  if (made.status !== 0) {
    console.error("kafka bench: openssl could not make a certificate, so the TLS rows are left out");
    return [];
  }
  const ca = readFileSync(cert, "utf8");
  const tlsArgs = [`--tls-cert=${cert}`, `--tls-key=${key}`];
  return [
    { name: "TLS", brokerArgs: () => tlsArgs, client: { ssl: { ca: [ca] } }, tokenAuth: false, ca },
    {
      name: "TLS + SASL/SCRAM-SHA-256",
      brokerArgs: (d) => ["--auth=token", `--admin-token-file=${join(d, "admin-token")}`, ...tlsArgs],
      client: { sasl: scram, ssl: { ca: [ca] } },
      tokenAuth: true,
      ca,
    },
  ];
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** One broker with a 1-partition topic "bench"; the caller kills `proc` and removes `dir`. */
export async function startBroker(variant: Variant): Promise<{ proc: Subprocess; kafkaPort: number; httpPort: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-bench-kafka-"));
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
  const proc = Bun.spawn(
    [
      process.execPath,
      join(ROOT, "src/main.ts"),
      "broker",
      "--id=1",
      `--port=${httpPort}`,
      `--kafka-port=${kafkaPort}`,
      `--data-dir=${join(dir, "data")}`,
      "--host=127.0.0.1",
      ...variant.brokerArgs(dir, kafkaPort),
    ],
    { stdout: "ignore", stderr: "inherit", env: { ...process.env, NO_COLOR: "1" } },
  );
  const base = `${variant.ca !== undefined ? "https" : "http"}://127.0.0.1:${httpPort}`;
  const tls = variant.ca !== undefined ? { tls: { ca: variant.ca } } : {};
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`, tls)).ok) break;
    } catch {}
    if (i > 400) throw new Error(`the ${variant.name} broker did not start`);
    await Bun.sleep(50);
  }
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (variant.tokenAuth) headers.authorization = `Bearer ${readFileSync(join(dir, "admin-token"), "utf8").trim()}`;
  const post = async (path: string, body: unknown) => {
    for (let i = 0; ; i++) {
      const res = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body), ...tls });
      if (res.ok) return;
      if (i > 100) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      await Bun.sleep(100);
    }
  };
  await post("/create-topic", { topic: TOPIC, partitions: 1 });
  if (variant.tokenAuth) {
    await post("/admin/users", { name: USER.name, password: USER.password });
    await post("/admin/acls", { principal: `User:${USER.name}`, operation: "ALL", resource_type: "TOPIC", resource_name: TOPIC, pattern_type: "LITERAL" });
  }
  return { proc, kafkaPort, httpPort, dir };
}


// ---- the load process ---------------------------------------------------------------------

interface Target {
  port: number;
  client: Partial<KafkaConfig>;
}

interface Slice {
  sent: number;
  errors: number;
  seconds: number;
}

/** Sends single messages, IN_FLIGHT at a time, on `producer` for `seconds`. */
async function produceFor(producer: Producer, seconds: number): Promise<Slice> {
  const value = "x".repeat(100);
  let sent = 0;
  let errors = 0;
  const began = performance.now();
  const until = began + seconds * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < until) {
        try {
          await producer.send({ topic: TOPIC, acks: 1, messages: [{ value }] });
          sent++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { sent, errors, seconds: (performance.now() - began) / 1000 };
}

/** Connect, Metadata, close, `count` times: what a new connection costs (TLS handshake, SASL). */
async function connectsPerSecond(kafka: Kafka, count: number): Promise<number> {
  const began = performance.now();
  for (let i = 0; i < count; i++) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.listTopics();
    await admin.disconnect();
  }
  return count / ((performance.now() - began) / 1000);
}

/**
 * The load process (`kafka.ts loadgen <targets>`), apart from the brokers as the HTTP bench's
 * load is: connects a producer to every target and warms it up, says "ready", then answers
 * one JSON line per command read on stdin (`produce <i> <s>`, `connects <i> <n>`, `end`).
 */
async function loadgen(targets: Target[]): Promise<void> {
  const kafkas = targets.map((t) => new Kafka({ clientId: "bench", brokers: [`127.0.0.1:${t.port}`], logLevel: logLevel.NOTHING, ...t.client }));
  const producers = kafkas.map((k) => k.producer({ allowAutoTopicCreation: false }));
  for (const producer of producers) {
    await producer.connect();
    await producer.send({ topic: TOPIC, acks: 1, messages: [{ value: "warm-up" }] });
  }
  for (const producer of producers) await produceFor(producer, SLICE_SECONDS);
  console.log("ready");
  for await (const line of console) {
    const [command, index, amount] = line.trim().split(" ");
    const i = Number(index);
    if (command === "produce") console.log(JSON.stringify(await produceFor(producers[i], Number(amount))));
    else if (command === "connects") console.log(JSON.stringify({ connectsPerSecond: await connectsPerSecond(kafkas[i], Number(amount)) }));
    else break;
  }
  for (const producer of producers) await producer.disconnect();
}

/** Lines of a child's stdout, one at a time. */
function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return async () => {
    for (;;) {
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        return line;
      }
      const { done, value } = await reader.read();
      if (done) throw new Error(`the Kafka load process ended early${buffered ? `: ${buffered}` : ""}`);
      buffered += decoder.decode(value, { stream: true });
    }
  };
}

// ---- the comparison ---------------------------------------------------------------------

export interface Compared {
  readonly variant: Variant;
  readonly messagesPerSecond: number;
  /**
   * The median over the turns of this variant's rate over the first variant's in the same
   * turn: a turn's variants ran seconds apart, under much the same outside load, and the
   * median leaves out the turn a burst of that load fell on one of them.
   */
  readonly ofFirst: number;
  /** The broker's CPU per message (NaN where /proc is missing). */
  readonly brokerCpuUsPerMessage: number;
  readonly errors: number;
  /** Undefined unless asked for. */
  readonly connectsPerSecond?: number;
}

/**
 * Steady-state produce through each variant's broker, the variants taking turns in slices
 * (see the top of this file); with `connects`, then that many new connections per variant.
 */
export async function compare(list: Variant[], connects = 0): Promise<Compared[]> {
  const started: Awaited<ReturnType<typeof startBroker>>[] = [];
  try {
    for (const variant of list) started.push(await startBroker(variant));
    const targets: Target[] = list.map((v, i) => ({ port: started[i].kafkaPort, client: v.client }));
    const child = Bun.spawn([process.execPath, import.meta.path, "loadgen", JSON.stringify(targets)], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    const nextLine = lineReader(child.stdout);
    const ask = async (command: string): Promise<string> => {
      child.stdin.write(`${command}\n`);
      await child.stdin.flush();
      return nextLine();
    };
    try {
      if ((await nextLine()) !== "ready") throw new Error("the Kafka load process did not get ready");
      const totals = list.map(() => ({ sent: 0, errors: 0, seconds: 0, cpu: { ms: 0 }, ratios: [] as number[] }));
      const slices = Math.max(1, Math.round(SECONDS / SLICE_SECONDS));
      for (let round = 0; round < slices; round++) {
        const rates: number[] = [];
        for (let k = 0; k < list.length; k++) {
          const i = (round + k) % list.length;
          const total = totals[i];
          const slice = JSON.parse(await withCpu(started[i].proc.pid, total.cpu, () => ask(`produce ${i} ${SLICE_SECONDS}`))) as Slice;
          total.sent += slice.sent;
          total.errors += slice.errors;
          total.seconds += slice.seconds;
          rates[i] = slice.sent / slice.seconds;
        }
        for (let i = 0; i < list.length; i++) totals[i].ratios.push(rates[i] / rates[0]);
      }
      const connectRates: (number | undefined)[] = [];
      for (let i = 0; i < list.length; i++)
        connectRates.push(connects > 0 ? (JSON.parse(await ask(`connects ${i} ${connects}`)) as { connectsPerSecond: number }).connectsPerSecond : undefined);
      return list.map((variant, i) => {
        const total = totals[i];
        const rate = connectRates[i];
        return {
          variant,
          messagesPerSecond: total.sent / total.seconds,
          ofFirst: median(total.ratios),
          brokerCpuUsPerMessage: (total.cpu.ms * 1000) / total.sent,
          errors: total.errors,
          ...(rate === undefined ? {} : { connectsPerSecond: rate }),
        };
      });
    } finally {
      child.stdin.write("end\n");
      await child.stdin.end();
      await child.exited;
    }
  } finally {
    for (const { proc, dir } of started) {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export async function run(): Promise<void> {
  const results = await compare(variants(), CONNECTS);
  console.log(
    `single-message produce, kafkajs, acks=1, ${IN_FLIGHT} in flight on one kept connection per variant, ${SECONDS} s each in ${SLICE_SECONDS} s turns; then ${CONNECTS} connect + Metadata + close\n`,
  );
  console.log("| variant | msgs/s | of plaintext (median of turns) | broker CPU µs/msg | connects/s | errors |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results)
    console.log(
      `| ${r.variant.name} | ${r.messagesPerSecond.toFixed(0)} | ${r.ofFirst.toFixed(2)} | ${r.brokerCpuUsPerMessage.toFixed(0)} | ${r.connectsPerSecond?.toFixed(1) ?? "-"} | ${r.errors} |`,
    );
}

if (import.meta.main && process.argv[2] === "loadgen") await loadgen(JSON.parse(process.argv[3] ?? "[]") as Target[]);
