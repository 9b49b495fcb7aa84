/**
 * In-process cost per request, no sockets: a real broker and its Elysia app driven with
 * `app.handle(new Request(...))`, so every layer but the socket runs. It says where the
 * CPU of one request goes (compare /consume with /health), which the socket benchmark
 * (http.ts) cannot separate from the load generator sharing the machine.
 *
 *   bun scripts/bench.ts inprocess
 *   BENCH_INPROCESS_RECORDS=100000 bun scripts/bench.ts inprocess
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { createApp } from "../../src/http/app.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

const RECORDS = Number(process.env.BENCH_INPROCESS_RECORDS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_INPROCESS_ROUNDS ?? 5);
const PER_ROUND = 20_000;
const MESSAGE = "x".repeat(100);

type Handle = (request: Request) => Promise<Response>;

/** Median over rounds of µs per request, each request awaited with its body read. */
async function measure(handle: Handle, url: (i: number) => string, init?: () => RequestInit): Promise<number> {
  const perRound: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const began = performance.now();
    for (let i = 0; i < PER_ROUND; i++) {
      const res = await handle(new Request(url(i), init?.()));
      await res.arrayBuffer();
    }
    // The first round warms the JIT and the page cache; it is not counted.
    if (round > 0) perRound.push(((performance.now() - began) * 1000) / PER_ROUND);
  }
  perRound.sort((a, b) => a - b);
  return perRound[Math.floor(perRound.length / 2)];
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-bench-inprocess-"));
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: dir, port: 9999 }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    warn: () => {},
  });
  const app = createApp(broker, { logError: () => {} });
  const handle: Handle = (r) => app.handle(r);
  try {
    await broker.createTopic("bench", 1);
    const batch = Array.from({ length: 1000 }, () => ({ message: MESSAGE, partition: 0 }));
    for (let n = 0; n < RECORDS; n += batch.length) {
      const res = await handle(
        new Request("http://localhost/produce", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ topic: "bench", messages: batch }),
        }),
      );
      if (res.status !== 200) throw new Error(`preload: ${res.status} ${await res.text()}`);
    }
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % RECORDS;
    };
    const rows: [string, number][] = [];
    rows.push(["GET /health", await measure(handle, () => "http://localhost/health")]);
    rows.push(["GET /consume, random offsets", await measure(handle, () => `http://localhost/consume?topic=bench&partition=0&offset=${random()}`)]);
    rows.push([
      "GET /consume, the newest 1,000",
      await measure(handle, () => `http://localhost/consume?topic=bench&partition=0&offset=${RECORDS - 1 - (random() % 1000)}`),
    ]);
    rows.push([
      "GET /topics/…/records, 1 at random offsets",
      await measure(handle, () => `http://localhost/topics/bench/partitions/0/records?offset=${random()}&max=1`),
    ]);
    const single = JSON.stringify({ topic: "bench", partition: 0, message: MESSAGE });
    rows.push([
      "POST /produce, 1 message",
      await measure(
        handle,
        () => "http://localhost/produce",
        () => ({ method: "POST", headers: { "content-type": "application/json" }, body: single }),
      ),
    ]);
    console.log(`${RECORDS.toLocaleString("en-US")} records of 100 B preloaded; median of ${ROUNDS} rounds of ${PER_ROUND.toLocaleString("en-US")} sequential requests`);
    console.log("| request | µs per request |");
    console.log("| --- | --- |");
    for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(2)} |`);
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await run();
