/**
 * The console benchmark: a real broker process and Debian's chromium driven by
 * playwright-core (no browser download).
 *
 *   bun scripts/bench.ts console
 *   BENCH_SECONDS=10 BENCH_TOPICS=200 bun scripts/bench.ts console     a shorter run
 *
 * 1. First view of the topic list with 1,000 topics (one record each): bytes
 *    transferred (assets and API answers, headers included) and the time from
 *    navigation until the list's rows are rendered, in a fresh browser context (cold
 *    cache). Beside it, what the list's data costs: the one GET /topics?details=true
 *    the page makes, against describing the 100 topics of a page one by one (what the
 *    page did before that route existed).
 * 2. The live tail of one partition at 1,000 msg/s for 60 s: the page's JS heap after
 *    a forced garbage collection before and after, and sampled every few seconds
 *    between (flat = the samples stay in one band), the records the page counted, and
 *    the main-thread tasks over 50 ms (jank).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { type CDPSession, chromium, type Page } from "playwright-core";

const ROOT = resolve(import.meta.dir, "../..");
const CHROMIUM = process.env.STREAMNEST_CHROMIUM ?? "/usr/bin/chromium";
const TOPICS = Number(process.env.BENCH_TOPICS ?? 1000);
const TAIL_SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const TAIL_RATE = 1000;
const HEAP_EVERY_MS = Math.max(1000, Math.min(5000, (TAIL_SECONDS * 1000) / 6));
/** Rows the topic list renders per page (TOPICS_PER_PAGE in src/console/ui/topics.tsx). */
const PAGE_ROWS = 100;

async function freePort(): Promise<number> {
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
  for (let i = 0; i < 800; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await Bun.sleep(25);
  }
  throw new Error(`${url} never answered`);
}

async function post(base: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Runs `tasks` with `limit` at once. */
async function pooled(count: number, limit: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const topicName = (i: number): string => `bench-topic-${String(i).padStart(4, "0")}`;

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const ms = (n: number): string => `${n.toFixed(0)} ms`;

/** Bytes of every response the page receives while `during` runs (bodies as sent, headers included). */
async function transferred(page: Page, during: () => Promise<void>): Promise<{ bytes: number; requests: number }> {
  let bytes = 0;
  let requests = 0;
  const sizes: Promise<void>[] = [];
  const onResponse = (response: import("playwright-core").Response): void => {
    requests++;
    sizes.push(
      response
        .request()
        .sizes()
        .then((s) => {
          bytes += s.responseBodySize + s.responseHeadersSize;
        }),
    );
  };
  page.on("response", onResponse);
  try {
    await during();
  } finally {
    page.off("response", onResponse);
  }
  await Promise.all(sizes);
  return { bytes, requests };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function heapAfterGc(cdp: CDPSession): Promise<number> {
  await cdp.send("HeapProfiler.collectGarbage");
  const usage = await cdp.send("Runtime.getHeapUsage");
  return usage.usedSize;
}

export async function run(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "streamnest-bench-console-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const broker: Subprocess = Bun.spawn(
    [process.execPath, join(ROOT, "src/main.ts"), "broker", "--id=1", `--port=${port}`, `--data-dir=${dataDir}`, "--host=127.0.0.1"],
    { stdout: "ignore", stderr: "inherit", env: { ...process.env, NO_COLOR: "1" } },
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  const rows: [string, string][] = [];
  try {
    await waitFor(`${base}/health`);
    const setup = await timed(() =>
      pooled(TOPICS, 8, async (i) => {
        await post(base, "/create-topic", { topic: topicName(i), partitions: 1 });
        await post(base, "/produce", { topic: topicName(i), message: `record of topic ${i}` });
      }),
    );
    console.log(`${TOPICS} topics created with one record each in ${ms(setup)}`);
    // The console's assets are built on the first request; a first visitor of a running
    // broker finds them built, so build them before measuring.
    await (await fetch(`${base}/console/topics`)).text();

    // ---- 1. first view of the topic list -------------------------------------------
    // The browser's own start-up (its first page) is not the console's to count.
    const warm = await browser.newPage();
    await warm.goto(`${base}/health`);
    await warm.close();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const lastRow = `[data-testid=topics] tbody tr:nth-child(${Math.min(TOPICS, PAGE_ROWS)})`;
    // Timed by the page's own clock (from navigation start) when the last row enters the
    // DOM: the driver's polling would add its own delay, up to a second on a busy machine.
    await page.addInitScript(`new MutationObserver((_, observer) => {
      if (document.querySelector(${JSON.stringify(lastRow)})) { globalThis.rowsRenderedAt = performance.now(); observer.disconnect(); }
    }).observe(document, { childList: true, subtree: true });`);
    let driverMs = 0;
    const first = await transferred(page, async () => {
      const started = performance.now();
      await page.goto(`${base}/console/topics`);
      await page.locator(lastRow).waitFor({ timeout: 120_000 });
      driverMs = performance.now() - started;
      await page.waitForLoadState("networkidle");
    });
    const renderMs = (await page.evaluate("globalThis.rowsRenderedAt")) as number;
    const dataMs = (await page.evaluate(
      `Math.max(...performance.getEntriesByType("resource").filter((e) => e.name.includes("/topics?")).map((e) => e.responseEnd))`,
    )) as number;
    const shown = await page.locator("[data-topic=bench-topic-0000] td:nth-child(4)").textContent();
    if (shown?.trim() !== "1") throw new Error(`the first topic's row shows ${JSON.stringify(shown)} messages, not 1`);
    rows.push([`topic list, first view (${TOPICS} topics, cold cache): transferred`, `${kb(first.bytes)} in ${first.requests} responses`]);
    rows.push(["topic list, first view: navigation start to the page's rows in the DOM", ms(renderMs)]);
    rows.push(["topic list, first view: navigation start to the topics' answer received", ms(dataMs)]);
    rows.push(["topic list, first view: as the driver saw it (includes its polling)", ms(driverMs)]);
    await context.close();

    const listing = await fetch(`${base}/topics?details=true&offset=0&limit=${PAGE_ROWS}`);
    const listingBytes = (await listing.arrayBuffer()).byteLength;
    const oneCall = [] as number[];
    for (let i = 0; i < 5; i++) oneCall.push(await timed(async () => (await fetch(`${base}/topics?details=true&offset=0&limit=${PAGE_ROWS}`)).arrayBuffer()));
    oneCall.sort((a, b) => a - b);
    const describes = await timed(() =>
      pooled(Math.min(TOPICS, PAGE_ROWS), 6, async (i) => (await fetch(`${base}/topics/${topicName(i)}`)).arrayBuffer()),
    );
    rows.push([`GET /topics?details=true, one page of ${PAGE_ROWS} (${kb(listingBytes)}), median of 5`, ms(oneCall[2])]);
    rows.push([`${Math.min(TOPICS, PAGE_ROWS)} describes of one page, 6 at a time (the page's old way)`, ms(describes)]);

    // ---- 2. live tail at 1,000 msg/s ------------------------------------------------
    await post(base, "/create-topic", { topic: "bench-tail", partitions: 1 });
    const tailContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const tail = await tailContext.newPage();
    const cdp = await tailContext.newCDPSession(tail);
    await tail.goto(`${base}/console/topics/bench-tail?partition=0&live=1`);
    await tail.locator("[data-testid=live-tail] .badge.alive").waitFor();
    // A string, run in the page: this file is type-checked without the DOM library.
    await tail.evaluate(`globalThis.longTasks = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) globalThis.longTasks.push(e.duration); })
        .observe({ type: "longtask" });`);
    const heapStart = await heapAfterGc(cdp);
    const heap: number[] = [];
    const batch = 50;
    const total = TAIL_RATE * TAIL_SECONDS;
    const started = performance.now();
    let sent = 0;
    let sending = true;
    // Sampled without forcing a collection, so the sampling adds no long task of its own.
    const sampler = (async () => {
      while (sending) {
        await Bun.sleep(HEAP_EVERY_MS);
        heap.push((await cdp.send("Runtime.getHeapUsage")).usedSize);
      }
    })();
    const inFlight = new Set<Promise<unknown>>();
    while (sent < total) {
      // Paced against the clock: batch k leaves at k × 50 ms, whether or not the last one was answered.
      const due = (sent / TAIL_RATE) * 1000;
      const now = performance.now() - started;
      if (due > now) await Bun.sleep(due - now);
      const messages = Array.from({ length: batch }, (_, i) => ({ message: `{"n":${sent + i},"at":${Date.now()}}` }));
      const request = post(base, "/produce", { topic: "bench-tail", messages }).finally(() => inFlight.delete(request));
      inFlight.add(request);
      sent += batch;
    }
    await Promise.all(inFlight);
    const sendSeconds = (performance.now() - started) / 1000;
    const counted = async (): Promise<number> =>
      Number(((await tail.locator("[data-testid=live-tail] .muted").first().textContent()) ?? "").split(" ")[0].replace(/,/g, ""));
    const deadline = performance.now() + 30_000;
    while ((await counted()) < total && performance.now() < deadline) await Bun.sleep(100);
    sending = false;
    await sampler;
    const heapEnd = await heapAfterGc(cdp);
    const received = await counted();
    const rendered = await tail.locator("[data-testid=live-tail] tbody tr").count();
    const longTasks = (await tail.evaluate("globalThis.longTasks")) as number[];
    await tailContext.close();
    rows.push([`live tail: sent at ${TAIL_RATE} msg/s for ${TAIL_SECONDS} s`, `${total.toLocaleString("en-US")} in ${sendSeconds.toFixed(1)} s`]);
    rows.push(["live tail: records the page counted, rows in its table", `${received.toLocaleString("en-US")}, ${rendered} rows`]);
    rows.push(["live tail: JS heap after a forced GC, before / after", `${mb(heapStart)} / ${mb(heapEnd)}`]);
    rows.push([
      `live tail: JS heap every ${(HEAP_EVERY_MS / 1000).toFixed(0)} s, no forced GC (min / max)`,
      heap.length === 0 ? "—" : `${mb(Math.min(...heap))} / ${mb(Math.max(...heap))}`,
    ]);
    rows.push(["live tail: heap samples", heap.map(mb).join(", ")]);
    rows.push([
      "live tail: main-thread tasks over 50 ms (count, longest)",
      `${longTasks.length}, ${longTasks.length === 0 ? "—" : ms(Math.max(...longTasks))}`,
    ]);
  } finally {
    await browser.close();
    broker.kill();
    await broker.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`| ${"measure".padEnd(width)} | value |`);
  console.log(`| ${"-".repeat(width)} | ----- |`);
  for (const [name, value] of rows) console.log(`| ${name.padEnd(width)} | ${value} |`);
}

if (import.meta.main) await run();
