import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrokerProcess, runCli, startBroker } from "../helpers/broker-harness.ts";
import { SseReader } from "../http/sse-reader.ts";

/**
 * A broker with --workers=2 (two threads on one port, SO_REUSEPORT) answers exactly as
 * one with --workers=1, whichever thread the kernel hands a connection to; both threads
 * take connections; kill -9 under load loses no acknowledged message; and a wrong
 * --workers is one clear line. Each request below opens a connection of its own
 * (Connection: close), so that the kernel spreads them over the threads.
 */

let single: { broker: BrokerProcess; stop: () => Promise<void> };
let double: { broker: BrokerProcess; stop: () => Promise<void> };

beforeAll(async () => {
  [single, double] = await Promise.all([startBroker({ args: ["--workers=1"] }), startBroker({ args: ["--workers=2"] })]);
});

afterAll(async () => {
  await Promise.all([single?.stop(), double?.stop()]);
});

interface Answer {
  status: number;
  type: string | null;
  length: string | null;
  body: string;
}

async function ask(broker: BrokerProcess, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${broker.url}${path}`, {
    method,
    keepalive: false,
    headers: { connection: "close", ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get("content-type"), length: res.headers.get("content-length"), body: await res.text() };
}

/** The same call on both brokers: the same answer (the timestamps of records aside). */
async function same(method: string, path: string, body?: unknown): Promise<Answer> {
  const expected = await ask(single.broker, method, path, body);
  const got = await ask(double.broker, method, path, body);
  expect({ call: `${method} ${path}`, ...withoutTimestamps(got) }).toEqual({ call: `${method} ${path}`, ...withoutTimestamps(expected) });
  return got;
}

function withoutTimestamps(answer: Answer): Answer {
  return { ...answer, body: answer.body.replace(/"timestamp":\d+/g, '"timestamp":0') };
}

async function threadCounts(broker: BrokerProcess): Promise<number[]> {
  const text = await (await fetch(`${broker.url}/metrics`, { keepalive: false, headers: { connection: "close" } })).text();
  const counts: number[] = [];
  for (const m of text.matchAll(/^streamnest_http_thread_requests_total\{thread="(\d+)"\} (\d+)/gm)) counts[Number(m[1])] = Number(m[2]);
  return counts;
}

const PRODUCES: unknown[] = [
  { topic: "demo", message: "first", partition: 0 },
  { topic: "demo", message: "ünïcödé 🚀 \"quoted\"\n", key: "k1" },
  { topic: "demo", message: "round robin" },
  { topic: "demo", message: "", partition: 2, key: "" },
  { topic: "demo", message: "x", partition: 9 },
  { topic: "nope", message: "x" },
  { topic: "demo" },
  { topic: "demo", message: 3 },
  { topic: "demo", message: "x", key: null, partition: 1 },
  { topic: "demo", message: "acks one", acks: "1", partition: 1 },
  { topic: "demo", message: "with headers", headers: { h: "v" }, partition: 0 },
  { topic: "demo", messages: [{ message: "b0", partition: 0 }, { message: "b1", partition: 9 }, { message: "b2", key: "kb" }] },
  { topic: "typed", message: "{}" },
  { topic: "typed", message: '{"n":1}' },
  { topic: "__consumer_offsets", message: "x" },
  "not json",
  "[1]",
];

describe("two threads answer as one", () => {
  test("produce (single, keyed, round robin, batch, refused) and consume (found, past the end, refused) give the same answers", async () => {
    await same("POST", "/create-topic", { topic: "demo", partitions: 3 });
    await same("POST", "/create-topic", { topic: "typed", partitions: 1 });
    await same("POST", "/register-schema", { topic: "typed", schema: { type: "object", required: ["n"] } });
    const before = await threadCounts(double.broker);
    // Four rounds: each produce lands on either thread, and offsets go on alike.
    for (let round = 0; round < 4; round++) for (const body of PRODUCES) await same("POST", "/produce", body);
    for (const partition of [0, 1, 2])
      for (let offset = 0; offset <= 12; offset++) await same("GET", `/consume?topic=demo&partition=${partition}&offset=${offset}`);
    for (let i = 0; i < 6; i++) {
      await same("GET", "/consume?topic=demo&partition=0&offset=1");
      await same("HEAD", "/consume?topic=demo&partition=0&offset=1");
      await same("GET", "/consume?topic=demo&partition=0&offset=0&max=3");
      await same("GET", "/consume?offset=2&partition=0&topic=demo");
      await same("GET", "/consume?topic=demo&partition=0&offset=999");
      await same("GET", "/consume?topic=nope&partition=0&offset=0");
      await same("GET", "/consume?topic=demo&partition=7&offset=0");
      await same("GET", "/consume?topic=demo&partition=0&offset=-1");
      await same("GET", "/consume?topic=demo&partition=0&offset=1&offset=2");
      await same("GET", "/consume?topic=demo&partition=0");
      await same("GET", "/consume?topic=demo&partition=0&offset=0&wait_ms=0");
      await same("GET", "/topics/demo/partitions/0/records?offset=0&max=100");
      await same("GET", "/list-topics");
    }
    // A long poll passed on to the owner: answered when the record comes.
    const polled = ask(double.broker, "GET", "/consume?topic=typed&partition=0&offset=4&wait_ms=20000");
    await Bun.sleep(200);
    expect((await ask(double.broker, "POST", "/produce", { topic: "typed", message: '{"n":2}' })).body).toBe('{"offset":4,"partition":0}');
    expect(await polled).toMatchObject({ status: 200, body: '{"offset":4,"message":"{\\"n\\":2}"}' });
    const after = await threadCounts(double.broker);
    // Threads 1 and 2 take the connections; thread 0 (the logs' owner) none from the port.
    expect(after.length).toBe(3);
    expect(after[0]).toBeUndefined();
    expect(after[1] - (before[1] ?? 0)).toBeGreaterThan(0);
    expect(after[2] - (before[2] ?? 0)).toBeGreaterThan(0);
    // The consumed and produced counters count the same on both brokers.
    const counted = async (broker: BrokerProcess) =>
      (await (await fetch(`${broker.url}/metrics`)).text()).split("\n").filter((l) => /^streamnest_messages_(produced|consumed)_total\{topic="demo"\}/.test(l));
    expect(await counted(double.broker)).toEqual(await counted(single.broker));
  }, 120_000);

  test("server-sent events on every thread: the stored records, then a new one live", async () => {
    await same("POST", "/create-topic", { topic: "live", partitions: 1 });
    for (const message of ["a", "b"]) await same("POST", "/produce", { topic: "live", message });
    const streams = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const res = await fetch(`${double.broker.url}/topics/live/partitions/0/records/stream?offset=0`, { keepalive: false, headers: { connection: "close" } });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toStartWith("text/event-stream");
        return new SseReader(res.body!);
      }),
    );
    for (const stream of streams)
      for (const [offset, message] of ["a", "b"].entries()) {
        const event = await stream.next();
        expect({ id: event?.id, event: event?.event, message: JSON.parse(event?.data ?? "{}").message }).toEqual({ id: String(offset), event: "record", message });
      }
    await ask(double.broker, "POST", "/produce", { topic: "live", message: "c" });
    for (const stream of streams) {
      const event = await stream.next();
      expect([event?.id, JSON.parse(event?.data ?? "{}").message]).toEqual(["2", "c"]);
      await stream.cancel();
    }
  }, 60_000);

  test("consumer groups: join, commit and read the offsets back through any thread", async () => {
    expect((await ask(double.broker, "POST", "/create-topic", { topic: "grp", partitions: 2 })).status).toBe(200);
    const batch = Array.from({ length: 8 }, (_, i) => ({ message: `m${i}`, partition: 1 }));
    expect((await ask(double.broker, "POST", "/produce", { topic: "grp", messages: batch })).status).toBe(200);
    const join = await ask(double.broker, "POST", "/groups/g/members", { topics: ["grp"], client_id: "t" });
    expect(join.status).toBe(200);
    const { member_id, generation } = JSON.parse(join.body) as { member_id: string; generation: number };
    for (let i = 0; i < 6; i++) {
      const commit = await ask(double.broker, "POST", "/groups/g/offsets", { member_id, generation, offsets: [{ topic: "grp", partition: 1, offset: i }] });
      expect({ status: commit.status, body: JSON.parse(commit.body) }).toEqual({ status: 200, body: { offsets: [{ topic: "grp", partition: 1, offset: i }] } });
      const read = await ask(double.broker, "GET", "/groups/g/offsets");
      expect(JSON.parse(read.body).offsets.map((o: { partition: number; offset: number }) => [o.partition, o.offset])).toEqual([[1, i]]);
    }
    expect((await ask(double.broker, "DELETE", `/groups/g/members/${member_id}`)).status).toBe(200);
  }, 60_000);

  // Found by a tester: each client that sent 100 KB of a declared 3 MB body and left killed
  // the worker thread that took it ("Unhandled error … AbortError"); after two, nobody
  // listened on the port while the process lived on.
  test("uploads abandoned mid-body end only themselves: every thread keeps serving", async () => {
    const port = double.broker.port;
    for (let i = 0; i < 6; i++) {
      const socket = connect({ host: "127.0.0.1", port });
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(`POST /produce HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3000000\r\n\r\n{"topic":"w","message":"${"a".repeat(100_000)}`);
      await Bun.sleep(200);
      socket.destroy();
    }
    await Bun.sleep(500);
    // Each a connection of its own, so the kernel spreads them over both threads.
    for (let i = 0; i < 20; i++) expect((await ask(double.broker, "GET", "/health")).status).toBe(200);
    expect(double.broker.output).not.toContain("Unhandled error");
    expect(double.broker.output).not.toContain("stopped; starting it again");
  }, 30_000);
});

test("kill -9 under load with two threads loses no acknowledged message", async () => {
  const started = await startBroker({ args: ["--workers=2"] });
  try {
    const { broker } = started;
    expect((await ask(broker, "POST", "/create-topic", { topic: "load", partitions: 2 })).status).toBe(200);
    const acked = new Map<string, { partition: number; offset: number }>();
    let running = true;
    const producers = Array.from({ length: 12 }, async (_, p) => {
      for (let n = 0; running; n++) {
        const message = `p${p}-${n}`;
        try {
          // Half the producers keep their connection, half open one per message.
          const res = await fetch(`${broker.url}/produce`, {
            method: "POST",
            body: JSON.stringify({ topic: "load", message, key: message }),
            ...(p % 2 === 0 ? { keepalive: false, headers: { connection: "close" } } : {}),
          });
          if (res.status === 200) acked.set(message, (await res.json()) as { partition: number; offset: number });
        } catch {
          return; // the broker is gone: nothing more is acknowledged
        }
      }
    });
    await Bun.sleep(1500);
    const counts = await threadCounts(broker);
    await broker.kill9();
    running = false;
    await Promise.all(producers);
    expect(acked.size).toBeGreaterThan(50);
    expect(counts[1]).toBeGreaterThan(0);
    expect(counts[2]).toBeGreaterThan(0);
    await broker.start();
    const stored = new Map<string, { partition: number; offset: number }>();
    for (const partition of [0, 1])
      for (let offset = 0; ; ) {
        const res = await fetch(`${broker.url}/topics/load/partitions/${partition}/records?offset=${offset}&max=10000`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { records: { offset: number; message: string }[]; next_offset: number };
        for (const r of body.records) stored.set(r.message, { partition, offset: r.offset });
        if (body.records.length === 0) break;
        offset = body.next_offset;
      }
    const lost = [...acked].filter(([message, at]) => stored.get(message)?.offset !== at.offset || stored.get(message)?.partition !== at.partition);
    expect(lost).toEqual([]);
  } finally {
    await started.stop();
  }
}, 120_000);

describe("--workers", () => {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-workers-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("0 or not a number is one line naming the flag; nothing starts", async () => {
    for (const given of ["0", "two", "-1"]) {
      const run = await runCli(["broker", "--id=1", "--port=0", "--host=127.0.0.1", `--data-dir=${join(dir, "d")}`, `--workers=${given}`]);
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toContain(`--workers must be a whole number from 1 to 64, not "${given}"`);
    }
  });

  test("a port taken by a broker with two threads is refused to another broker, not shared", async () => {
    const run = await runCli(["broker", "--id=7", `--port=${double.broker.port}`, "--host=127.0.0.1", `--data-dir=${join(dir, "e")}`, "--workers=2"]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr + run.stdout).toContain(`port ${double.broker.port} is already in use`);
  });
});
