/**
 * The Kafka-protocol benchmark: single-message produce (kafkajs, acks=1, several in flight)
 * against a real broker process per security variant, all in the same run, each reported
 * as a fraction of plaintext without authentication; and connections per second, where
 * SCRAM's cost lies (a few HMACs per connection on the broker, PBKDF2 of 4096 iterations
 * on the client); once authenticated, a request costs what it costs in plaintext.
 *
 *   bun scripts/bench.ts kafka
 *   BENCH_SECONDS=3 bun scripts/bench.ts kafka      shorter runs
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
import { Kafka, type KafkaConfig, logLevel } from "kafkajs";

const ROOT = resolve(import.meta.dir, "../..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const IN_FLIGHT = 16;
const CONNECTS = 40;
const TOPIC = "bench";
const USER = { name: "bench", password: "bench-password" };

export interface Variant {
  readonly name: string;
  /** Broker flags beyond id, ports, data dir and host. */
  brokerArgs(dir: string): string[];
  /** The client's security settings (kafkajs `sasl`, `ssl`). */
  readonly client: Partial<KafkaConfig>;
  /** Whether the broker needs the admin token for its HTTP calls (users, ACLs). */
  readonly tokenAuth: boolean;
  /** With TLS the broker's HTTP API is HTTPS too: its set-up calls trust this CA (PEM). */
  readonly ca?: string;
}

const scram = { mechanism: "scram-sha-256", username: USER.name, password: USER.password } as const;

/** Made when the part runs (the TLS rows make a certificate), not when another part imports a helper. */
function variants(): Variant[] {
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

interface LoadResult {
  messagesPerSecond: number;
  connectsPerSecond: number;
  errors: number;
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
      ...variant.brokerArgs(dir),
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

/** In a separate process (as the HTTP bench's load): produce for SECONDS, then connect CONNECTS times. */
async function loadgen(port: number, client: Partial<KafkaConfig>): Promise<LoadResult> {
  const kafka = new Kafka({ clientId: "bench", brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, ...client });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = "x".repeat(100);
  let sent = 0;
  let errors = 0;
  const until = performance.now() + SECONDS * 1000;
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
  await producer.disconnect();
  const started = performance.now();
  for (let i = 0; i < CONNECTS; i++) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.listTopics();
    await admin.disconnect();
  }
  const connectsPerSecond = CONNECTS / ((performance.now() - started) / 1000);
  return { messagesPerSecond: sent / SECONDS, connectsPerSecond, errors };
}

async function measure(variant: Variant): Promise<LoadResult> {
  const { proc, kafkaPort, dir } = await startBroker(variant);
  try {
    const child = Bun.spawn([process.execPath, import.meta.path, "loadgen", String(kafkaPort), JSON.stringify(variant.client)], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const out = await new Response(child.stdout).text();
    await child.exited;
    return JSON.parse(out) as LoadResult;
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const results: [Variant, LoadResult][] = [];
  for (const variant of variants()) results.push([variant, await measure(variant)]);
  const plain = results[0]?.[1];
  console.log(`single-message produce, kafkajs, acks=1, ${IN_FLIGHT} in flight, ${SECONDS} s; then ${CONNECTS} connect + Metadata + close\n`);
  console.log("| variant | msgs/s | of plaintext | connects/s | errors |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const [variant, r] of results)
    console.log(
      `| ${variant.name} | ${r.messagesPerSecond.toFixed(0)} | ${plain ? (r.messagesPerSecond / plain.messagesPerSecond).toFixed(2) : "-"} | ${r.connectsPerSecond.toFixed(1)} | ${r.errors} |`,
    );
}

if (import.meta.main && process.argv[2] === "loadgen") {
  const result = await loadgen(Number(process.argv[3]), JSON.parse(process.argv[4] ?? "{}") as Partial<KafkaConfig>);
  console.log(JSON.stringify(result));
}
