/**
 * Kafka throughput benchmark (issue 13): N messages of 100 B on a 1-partition topic,
 * produced and consumed with kcat (librdkafka), then the same N through the HTTP batch
 * routes, in the same run. RF=1 on one broker (acks=1), then RF=3 on a 3-broker cluster
 * (acks=all). Targets: Kafka at least the HTTP batch route's throughput; at RF=1 produce
 * ≥ 500,000 msg/s and consume ≥ 1,000,000 msg/s; the broker's RSS flat during the run
 * (sampled every 500 ms from /proc/<pid>/status, the partition leader's at RF=3).
 *
 *   bun scripts/bench.ts kafka-throughput
 *   STREAMNEST_BENCH_KAFKA_MESSAGES=200000 bun scripts/bench.ts kafka-throughput   shorter
 *
 * Needs kcat on the PATH; without it the part says so and measures nothing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePortRange } from "./cluster.ts";
import { startBroker } from "./kafka.ts";
import { Cluster, partition0, post, until } from "./replication.ts";

const MESSAGES = Number(process.env.STREAMNEST_BENCH_KAFKA_MESSAGES ?? 1_000_000);
const MESSAGE_BYTES = 100;
const HTTP_BATCH = 1000;
const HTTP_IN_FLIGHT = 4;
const HTTP_READ_MAX = 10_000;
const HTTP_READ_MAX_BYTES = 8 * 1024 * 1024;
const KCAT_LIMIT_MS = 600_000;
const RSS_EVERY_MS = 500;

interface Rss {
  startMb: number;
  maxMb: number;
  endMb: number;
}

interface Phase {
  setup: string;
  name: string;
  client: "kafka" | "http";
  messagesPerSecond: number;
  rss: Rss;
}

/** One broker's address book for a setup: where kcat and HTTP go, whose RSS counts. */
interface Target {
  setup: string;
  bootstrap: string;
  url: string;
  pid: number;
  acks: "1" | "all";
  kafkaTopic: string;
  httpTopic: string;
}

function rssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Runs `work` while sampling `pid`'s resident set; throughput is MESSAGES over its wall time. */
async function phase(target: Target, name: string, client: Phase["client"], work: () => Promise<void>): Promise<Phase> {
  const startMb = rssMb(target.pid);
  let maxMb = startMb;
  const timer = setInterval(() => {
    maxMb = Math.max(maxMb, rssMb(target.pid));
  }, RSS_EVERY_MS);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - started) / 1000;
  const endMb = rssMb(target.pid);
  return { setup: target.setup, name, client, messagesPerSecond: MESSAGES / seconds, rss: { startMb, maxMb: Math.max(maxMb, endMb), endMb } };
}

/** Runs kcat; `output`: a file its standard output goes to (else it is dropped). */
async function kcat(args: string[], output?: string): Promise<void> {
  const proc = Bun.spawn(["kcat", ...args], { stdin: "ignore", stdout: output === undefined ? "ignore" : Bun.file(output), stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), KCAT_LIMIT_MS);
  const stderr = new Response(proc.stderr).text();
  const code = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`kcat ${args.join(" ")} exited with ${code}:\n${await stderr}`);
}

async function endOffset(url: string, topic: string): Promise<number> {
  const res = await fetch(`${url}/topics/${topic}/partitions/0/records?offset=0&max=1`);
  if (!res.ok) throw new Error(`end offset of ${topic}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { end_offset: number }).end_offset;
}

/** Every produced message is there: the partition's end offset is exactly MESSAGES. */
async function verifyEnd(url: string, topic: string): Promise<void> {
  let last = -1;
  try {
    await until(`${topic}'s end offset ${MESSAGES}`, async () => (last = await endOffset(url, topic)) === MESSAGES, 10_000);
  } catch {
    throw new Error(`${topic}: end offset ${last} after producing ${MESSAGES} messages`);
  }
}

async function kafkaProduce(t: Target, file: string): Promise<void> {
  await kcat([
    "-P", "-b", t.bootstrap, "-t", t.kafkaTopic, "-p", "0",
    "-X", "linger.ms=5", "-X", "batch.num.messages=10000", "-X", "queue.buffering.max.messages=1000000", "-X", `acks=${t.acks}`,
    "-l", file,
  ]);
}

/**
 * kcat's output goes straight to a file, checked after: read through a pipe into this
 * process it took the bench's own thread as long as the broker took to serve it (the
 * HTTP reader's JSON parsing is its own client work, as kcat's decoding is kcat's).
 */
async function kafkaConsume(t: Target, output: string): Promise<void> {
  await kcat(["-C", "-b", t.bootstrap, "-t", t.kafkaTopic, "-p", "0", "-o", "beginning", "-e", "-q", "-c", String(MESSAGES)], output);
  // kcat ends each message with a newline.
  const want = MESSAGES * (MESSAGE_BYTES + 1);
  const bytes = statSync(output).size;
  if (bytes !== want) throw new Error(`kcat consumed ${bytes} bytes of ${t.kafkaTopic}, not ${want}`);
}

async function httpProduce(t: Target): Promise<void> {
  const messages = Array.from({ length: HTTP_BATCH }, () => ({ message: "x".repeat(MESSAGE_BYTES), partition: 0 }));
  const full = JSON.stringify({ topic: t.httpTopic, acks: t.acks, messages });
  let claimed = 0;
  const worker = async (): Promise<void> => {
    while (claimed < MESSAGES) {
      const count = Math.min(HTTP_BATCH, MESSAGES - claimed);
      claimed += count;
      const body = count === HTTP_BATCH ? full : JSON.stringify({ topic: t.httpTopic, acks: t.acks, messages: messages.slice(0, count) });
      const res = await fetch(`${t.url}/produce`, { method: "POST", headers: { "content-type": "application/json" }, body });
      const text = await res.text();
      if (res.status !== 200 || text.includes('"error"')) throw new Error(`POST /produce: ${res.status} ${text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: HTTP_IN_FLIGHT }, worker));
}

/** Reads of HTTP_READ_MAX records, a few in flight, each from its own range of offsets. */
async function httpConsume(t: Target): Promise<void> {
  let claimed = 0;
  let read = 0;
  const worker = async (): Promise<void> => {
    while (claimed < MESSAGES) {
      let offset = claimed;
      const end = Math.min(MESSAGES, offset + HTTP_READ_MAX);
      claimed = end;
      while (offset < end) {
        const res = await fetch(`${t.url}/topics/${t.httpTopic}/partitions/0/records?offset=${offset}&max=${end - offset}&max_bytes=${HTTP_READ_MAX_BYTES}`);
        if (!res.ok) throw new Error(`GET records at ${offset}: ${res.status} ${await res.text()}`);
        const answer = (await res.json()) as { records: unknown[]; next_offset: number };
        if (answer.records.length === 0) throw new Error(`GET records at ${offset}: none, below end offset ${MESSAGES}`);
        read += answer.records.length;
        offset = answer.next_offset;
      }
    }
  };
  await Promise.all(Array.from({ length: HTTP_IN_FLIGHT }, worker));
  if (read !== MESSAGES) throw new Error(`read ${read} records over HTTP, not ${MESSAGES}`);
}

async function measure(t: Target, file: string): Promise<Phase[]> {
  const phases: Phase[] = [];
  phases.push(await phase(t, "produce", "kafka", () => kafkaProduce(t, file)));
  await verifyEnd(t.url, t.kafkaTopic);
  const consumed = `${file}.consumed`;
  phases.push(await phase(t, "consume", "kafka", () => kafkaConsume(t, consumed)));
  rmSync(consumed, { force: true });
  phases.push(await phase(t, "produce", "http", () => httpProduce(t)));
  await verifyEnd(t.url, t.httpTopic);
  phases.push(await phase(t, "consume", "http", () => httpConsume(t)));
  return phases;
}

async function createTopic(url: string, topic: string, replication_factor: number): Promise<void> {
  const created = await post(url, "/create-topic", { topic, partitions: 1, replication_factor });
  if (created.status !== 200) throw new Error(`create-topic ${topic}: ${created.status} ${JSON.stringify(created.body)}`);
}

async function singleBroker(file: string): Promise<Phase[]> {
  // Plaintext without authentication; the broker comes with topic "bench" (1 partition).
  // Advertised as the address kcat is given, as the RF=3 brokers are: with the default
  // (localhost), librdkafka's connection to the leader it learned from Metadata started
  // ~0.5 s late in about half the runs (kcat alone, 1M messages: 0.70 s or 1.22-1.34 s).
  const { proc, kafkaPort, httpPort, dir } = await startBroker({
    name: "plaintext",
    brokerArgs: (_dir, port) => [`--kafka-advertise=127.0.0.1:${port}`],
    client: {},
    tokenAuth: false,
  });
  try {
    const url = `http://127.0.0.1:${httpPort}`;
    await createTopic(url, "bench-http", 1);
    const t: Target = { setup: "RF=1 acks=1", bootstrap: `127.0.0.1:${kafkaPort}`, url, pid: proc.pid, acks: "1", kafkaTopic: "bench", httpTopic: "bench-http" };
    return await measure(t, file);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

async function threeBrokers(file: string): Promise<Phase[]> {
  const kafkaBase = freePortRange(3);
  const kafkaPort = (id: number) => kafkaBase + id - 1;
  const cluster = new Cluster(3, (id) => [`--kafka-port=${kafkaPort(id)}`, `--kafka-advertise=127.0.0.1:${kafkaPort(id)}`]);
  try {
    // Together: a broker's first start waits for the others to form the metadata quorum.
    await Promise.all(cluster.nodes.map((n) => cluster.start(n.id)));
    await until("all three brokers registered", async () => {
      const res = await fetch(`${cluster.url(1)}/metadata`);
      return res.ok && ((await res.json()) as { brokers: unknown[] }).brokers.length === 3;
    });
    for (const topic of ["kafka-rf3", "http-rf3"]) await createTopic(cluster.url(1), topic, 3);
    let leader = 0;
    for (const topic of ["kafka-rf3", "http-rf3"])
      await until(`${topic} fully in sync`, async () => {
        const view = await partition0(cluster.url(1), topic);
        leader = view?.leader ?? 0;
        return view?.isr?.length === 3;
      });
    const pid = cluster.node(leader).proc?.pid;
    if (pid === undefined) throw new Error(`no process for leader ${leader}`);
    const t: Target = {
      setup: "RF=3 acks=all",
      bootstrap: cluster.nodes.map((n) => `127.0.0.1:${kafkaPort(n.id)}`).join(","),
      // Through the leader, as kcat's requests go: no forwarding hop on the HTTP side.
      url: cluster.url(leader),
      pid,
      acks: "all",
      kafkaTopic: "kafka-rf3",
      httpTopic: "http-rf3",
    };
    const leaders = new Set(await Promise.all(["kafka-rf3", "http-rf3"].map(async (topic) => (await partition0(cluster.url(1), topic))?.leader)));
    if (leaders.size !== 1) throw new Error(`the two RF=3 topics have different leaders (${[...leaders].join(", ")}); RSS would be of one only`);
    return await measure(t, file);
  } finally {
    await cluster.stop();
  }
}

function table(phases: Phase[]): void {
  const mb = (n: number) => n.toFixed(0);
  console.log(`${MESSAGES} messages of ${MESSAGE_BYTES} B, 1 partition; Kafka: kcat (librdkafka) from a file / to end of partition; HTTP: POST /produce of ${HTTP_BATCH}, GET …/records of up to ${HTTP_READ_MAX}, ${HTTP_IN_FLIGHT} in flight\n`);
  console.log("| setup | phase | client | msgs/s | Kafka/HTTP | broker RSS start / max / end (MB) |");
  console.log("| --- | --- | --- | ---: | ---: | --- |");
  for (const p of phases) {
    const http = phases.find((o) => o.setup === p.setup && o.name === p.name && o.client === "http");
    const ratio = p.client === "kafka" && http ? (p.messagesPerSecond / http.messagesPerSecond).toFixed(2) : "";
    console.log(`| ${p.setup} | ${p.name} | ${p.client} | ${p.messagesPerSecond.toFixed(0)} | ${ratio} | ${mb(p.rss.startMb)} / ${mb(p.rss.maxMb)} / ${mb(p.rss.endMb)} |`);
  }
  console.log("\nTargets: Kafka/HTTP ≥ 1 in every row; RF=1 Kafka produce ≥ 500,000 msg/s and consume ≥ 1,000,000 msg/s; RSS flat.");
}

export async function run(): Promise<void> {
  if (spawnSync("kcat", ["-V"]).status !== 0) {
    console.log("kafka-throughput needs kcat (librdkafka's command-line client) on the PATH; skipped");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "streamnest-bench-kafka-throughput-"));
  try {
    const file = join(dir, "messages");
    const line = `${"m".repeat(MESSAGE_BYTES)}\n`;
    writeFileSync(file, line.repeat(MESSAGES));
    const phases = [...(await singleBroker(file)), ...(await threeBrokers(file))];
    table(phases);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await run();
