import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { startBroker, type BrokerProcess } from "../helpers/broker-harness.ts";
import { REPO_ROOT } from "../helpers/streamnest-command.ts";

/**
 * /swagger in Debian's chromium (playwright-core, no browser download): its first paint
 * needs no script (a headless screenshot taken early shows the API, not a spinner), and
 * Swagger UI then starts on the spec the page carries, without fetching it again.
 * Screenshots go to test-output/swagger/.
 */

const CHROMIUM = process.env.STREAMNEST_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`swagger browser tests skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set STREAMNEST_CHROMIUM)`);

const SHOTS = join(REPO_ROOT, "test-output", "swagger");
const STEP_MS = 90_000;

let broker: BrokerProcess;
let stop: () => Promise<void>;
let browser: Browser;

describe.skipIf(!haveChromium)("/swagger in a browser", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ({ broker, stop } = await startBroker());
    // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stop?.();
  }, 60_000);

  test(
    "without JavaScript the page already shows the API's title and every route",
    async () => {
      const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 900 } });
      try {
        const page = await context.newPage();
        await page.goto(`${broker.url}/swagger`, { waitUntil: "domcontentloaded" });
        expect((await page.locator("h1.title").textContent())?.trim()).toStartWith("StreamNest ");
        const spec = (await (await fetch(`${broker.url}/swagger/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
        const operations = Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
        expect(await page.locator("#swagger-ui li code").count()).toBe(operations);
        expect(await page.locator("#swagger-ui li code", { hasText: "POST /produce" }).count()).toBe(1);
        await page.screenshot({ path: join(SHOTS, "first-paint.png") });
      } finally {
        await context.close();
      }
    },
    STEP_MS,
  );

  test(
    "with JavaScript Swagger UI renders every operation from the inline spec, fetching no spec",
    async () => {
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      try {
        const page = await context.newPage();
        const errors: string[] = [];
        const requested: string[] = [];
        page.on("pageerror", (error) => errors.push(String(error)));
        page.on("request", (request) => requested.push(new URL(request.url()).pathname));
        await page.goto(`${broker.url}/swagger`);
        await page.locator(".opblock").first().waitFor({ timeout: 60_000 });
        const spec = (await (await fetch(`${broker.url}/swagger/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
        const operations = Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
        expect(await page.locator(".opblock").count()).toBe(operations);
        expect(await page.locator("#swagger-ui li code").count()).toBe(0);
        expect(requested.filter((p) => p === "/swagger/json")).toEqual([]);
        expect(errors).toEqual([]);
        await page.screenshot({ path: join(SHOTS, "swagger-ui.png") });
      } finally {
        await context.close();
      }
    },
    STEP_MS,
  );
});
