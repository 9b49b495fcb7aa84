import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, type ClusterAnswer, get } from "../helpers/cluster-http.ts";
import { REPO_ROOT } from "../helpers/streamnest-command.ts";
import { until, untilTrue } from "../helpers/until.ts";

/**
 * The web console in Debian's chromium (driven by playwright-core, no browser
 * download) against a real cluster of 3 broker processes. They are started one by one
 * (the harness), not by the launcher: the launcher restarts a killed broker within a
 * second, and the last test needs one to stay down. Each view is saved as a screenshot
 * in test-output/console/.
 */

const CHROMIUM = process.env.STREAMNEST_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`console browser tests skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set STREAMNEST_CHROMIUM)`);

const SHOTS = join(REPO_ROOT, "test-output", "console");
const STEP_MS = 90_000;

let cluster: TestCluster;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const url = (path: string): string => `${cluster.broker(1).url}${path}`;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(url(path), {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const text = async (selector: string): Promise<string> => ((await page.locator(selector).first().textContent()) ?? "").trim();

describe.skipIf(!haveChromium)("console in a browser, on a 3-broker cluster", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    cluster = await startCluster(3, { args: ["--host=127.0.0.1"] });
    await allAlive(cluster);
    // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("pageerror", (error) => pageErrors.push(String(error)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  }, 60_000);

  test("overview: three brokers alive, the controller, and a first view under 300 KB", async () => {
    let bytes = 0;
    const counted: Promise<void>[] = [];
    const count = (response: import("playwright-core").Response): void => {
      counted.push(
        response
          .request()
          .sizes()
          .then((s) => {
            bytes += s.responseBodySize + s.responseHeadersSize;
          }),
      );
    };
    page.on("response", count);
    await page.goto(url("/console"));
    await page.locator("[data-testid=brokers] [data-state=alive]").nth(2).waitFor();
    await page.waitForLoadState("networkidle");
    page.off("response", count);
    await Promise.all(counted);
    console.log(`console first view: ${bytes} bytes transferred (assets gzipped, API answers included)`);
    expect(bytes).toBeLessThan(300 * 1024);
    expect(await page.locator("[data-testid=brokers] tbody tr").count()).toBe(3);
    // The controller is the metadata quorum's leader, whichever voter won the election.
    const leader = (await get<ClusterAnswer>(cluster.broker(1), "/cluster")).body.controller;
    expect([1, 2, 3]).toContain(leader);
    expect(await text(`[data-broker='${leader}'] td:nth-child(4)`)).toBe("controller");
    for (const other of [1, 2, 3].filter((id) => id !== leader)) expect(await text(`[data-broker='${other}'] td:nth-child(4)`)).toBe("");
    expect(await text("[data-stat='Brokers']")).toBe("3 / 3 alive");
    await shot("01-overview");
  }, STEP_MS);

  test("topics: create one from the page, and it is created on the cluster", async () => {
    await page.goto(url("/console/topics"));
    await page.getByText("Create a topic").click();
    await page.getByLabel("Name", { exact: true }).fill("orders");
    await page.getByLabel("Partitions").fill("3");
    // One copy each (the default is 3): the overview step below counts a killed broker's
    // partition offline, which a replicated partition is not (it fails over).
    await page.getByLabel("Replication factor").fill("1");
    await shot("02-topics-create-form");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.waitForURL((u) => u.pathname === "/console/topics/orders");
    await page.locator("[data-testid=partitions] tbody tr").nth(2).waitFor();
    expect(await page.locator("[data-testid=partitions] tbody tr").count()).toBe(3);
    const topics = await api<{ topics: string[] }>("GET", "/list-topics");
    expect(topics.topics).toContain("orders");
    await shot("03-topic-page");
  }, STEP_MS);

  test("messages: a message produced from the form shows in the live tail", async () => {
    await page.goto(url("/console/topics/orders?partition=1&live=1"));
    await page.locator("[data-testid=live-tail] .badge.alive").waitFor();
    await page.getByText("Produce a message").click();
    const form = page.getByRole("form", { name: "Produce a message" });
    await form.getByLabel("Key", { exact: true }).fill("user-42");
    await form.locator("select[name=partition]").selectOption("1");
    await form.locator("textarea[name=headers]").fill("trace: abc123");
    await form.locator("textarea[name=value]").fill('{"id":7,"item":"book"}');
    await form.getByRole("button", { name: "Produce" }).click();
    await page.getByText("Written to partition 1 at offset 0").waitFor();
    const row = page.locator("[data-testid=live-tail] tr[data-offset='0']");
    await row.waitFor();
    const rowText = (await row.textContent()) ?? "";
    expect(rowText).toContain("user-42");
    expect(rowText).toContain("trace: abc123");
    expect(await row.locator("pre.value").textContent()).toBe('{\n  "id": 7,\n  "item": "book"\n}');
    await shot("04-live-tail");
  }, STEP_MS);

  test("messages: the live tail keeps a bounded number of rows under a burst", async () => {
    const burst = Array.from({ length: 2000 }, (_, i) => ({ message: `burst ${i}`, partition: 1 }));
    await api("POST", "/produce", { topic: "orders", messages: burst });
    await until("the tail to receive the burst", () => text("[data-testid=live-tail] .muted"), (t) => t.startsWith("2,001 received"));
    await untilTrue("the tail to show the newest", async () => (await page.locator("[data-testid=live-tail] tr[data-offset='2000']").count()) === 1);
    // 500 kept, the newest 100 shown
    expect(await page.locator("[data-testid=live-tail] tbody tr").count()).toBe(100);
    expect(await page.locator("[data-testid=live-tail] tbody tr").last().getAttribute("data-offset")).toBe("1901");
    await page.getByRole("button", { name: "Pause" }).click();
    await api("POST", "/produce", { topic: "orders", message: "while paused", partition: 1 });
    await until("the paused count", () => text("[data-testid=live-tail] .muted"), (t) => t.includes("1 new not shown"));
    expect(await page.locator("[data-testid=live-tail] tr[data-offset='2001']").count()).toBe(0);
    await shot("05-live-tail-paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await page.locator("[data-testid=live-tail] tr[data-offset='2001']").waitFor();
  }, STEP_MS);

  test("messages: browse by offset from the address and from the form", async () => {
    await page.goto(url("/console/topics/orders?partition=1&offset=42"));
    await page.locator("table[aria-label=Messages] tbody tr").first().waitFor();
    expect(await page.locator("table[aria-label=Messages] tbody tr").first().getAttribute("data-offset")).toBe("42");
    expect(await text("[data-testid=page-range]")).toBe("Offsets 42–91 of 0–2,001");
    await page.locator("select[name=from]").selectOption("offset");
    await page.locator("input[name=offset]").fill("7");
    await page.getByRole("button", { name: "Read" }).click();
    await page.waitForURL((u) => u.search === "?partition=1&offset=7");
    await untilTrue("offset 7 first", async () => (await page.locator("table[aria-label=Messages] tbody tr").first().getAttribute("data-offset")) === "7");
    // every word must be in the key, value or headers: on this page (offsets 7 to 56,
    // "burst 6" to "burst 55"), "33" is only in "burst 33", at offset 34
    await page.getByLabel("Filter").fill("burst 33");
    const offsets = () => page.locator("table[aria-label=Messages] tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-offset")));
    await until("the filter to apply", offsets, (o) => o.length === 1);
    expect(await offsets()).toEqual(["34"]);
    expect(await text("[data-testid=page-range]")).toBe("Offsets 7–56 of 0–2,001; 1 of 50 match the filter");
    expect(page.url()).toBe(url("/console/topics/orders?partition=1&offset=7&q=burst+33"));
    await shot("06-messages-by-offset-filtered");
    // from the end: the last 50; from a time before the first record: the first
    await page.goto(url("/console/topics/orders?partition=1&from=end"));
    await untilTrue("the last page", async () => (await page.locator("table[aria-label=Messages] tbody tr").first().getAttribute("data-offset")) === "1952");
    await page.goto(url("/console/topics/orders?partition=1&time=2000-01-01T00:00:00.000Z"));
    await untilTrue("the first page", async () => (await page.locator("table[aria-label=Messages] tbody tr").first().getAttribute("data-offset")) === "0");
    await page.goto(url(`/console/topics/orders?partition=1&time=${new Date(Date.now() + 3_600_000).toISOString()}`));
    await page.getByText("Nothing from offset 2,002; the partition holds offsets 0–2,001").waitFor();
  }, STEP_MS);

  test("schemas: an invalid schema and a refused message are shown inline", async () => {
    await page.goto(url("/console/schemas/orders"));
    const form = page.getByRole("form", { name: "Register a schema version" });
    await form.locator("textarea").fill('{"type":"objectx"}');
    await form.getByRole("button", { name: "Register" }).click();
    await form.locator(".error").getByText("INVALID_SCHEMA").waitFor();
    await shot("07-schema-invalid");
    await form.locator("textarea").fill('{"type":"object","required":["id"]}');
    await form.getByRole("button", { name: "Register" }).click();
    await form.getByText("Registered as version 1.").waitFor();
    await shot("08-schema-registered");
    await page.goto(url("/console/topics/orders?partition=0"));
    await page.getByText("Produce a message").click();
    const produce = page.getByRole("form", { name: "Produce a message" });
    await produce.locator("textarea[name=value]").fill('{"item":"no id"}');
    await produce.getByRole("button", { name: "Produce" }).click();
    const refusal = page.locator(".error", { hasText: "SCHEMA_VIOLATION" });
    await refusal.waitFor();
    expect(await refusal.locator(".violations li").textContent()).toBe("(message) must have required property 'id'");
    await refusal.scrollIntoViewIfNeeded();
    await shot("09-produce-refused-by-schema");
  }, STEP_MS);

  test("groups: lag changes as a consumer reads and commits", async () => {
    const join = await api<{ member_id: string; generation: number; assignments: Array<{ topic: string; partition: number }> }>(
      "POST",
      "/groups/billing/members",
      { topics: ["orders"], client_id: "console-test", session_timeout_ms: 60_000 },
    );
    expect(join.assignments.length).toBe(3);
    const commit = (offset: number) =>
      api("POST", "/groups/billing/offsets", { member_id: join.member_id, generation: join.generation, offsets: [{ topic: "orders", partition: 1, offset }] });
    await commit(0);
    await page.goto(url("/console/groups/billing"));
    const lag = page.locator("[data-partition='orders/1'] [data-lag]");
    await until("lag of 2,002", async () => lag.getAttribute("data-lag"), (v) => v === "2002");
    await shot("10-group-before-reading");
    // the consumer reads 1,000 records and commits the next offset, as a Kafka consumer does
    const read = await api<{ next_offset: number }>("GET", "/topics/orders/partitions/1/records?offset=0&max=1000");
    await commit(read.next_offset);
    await until("lag of 1,002", async () => lag.getAttribute("data-lag"), (v) => v === "1002");
    expect(await text("[data-testid=group-state]")).toBe("Stable");
    await shot("11-group-after-reading");
    await page.goto(url("/console/groups"));
    await page.locator("[data-group=billing]").waitFor();
    await shot("12-groups");
    // once the consumer leaves, the page can reset the group's offsets
    await api("DELETE", `/groups/billing/members/${join.member_id}`);
    await page.goto(url("/console/groups/billing"));
    await until("the group to be empty", () => text("[data-testid=group-state]"), (t) => t === "Empty");
    await page.getByText("Reset offsets", { exact: true }).click();
    await page.locator("select[name=mode]").selectOption("offset");
    await page.locator("input[name=offset]").fill("2000");
    await page.getByRole("button", { name: "Reset every partition" }).click();
    await page.getByText(/^Committed .*orders\/1 → 2000/).waitFor();
    await until("lag of 2", async () => lag.getAttribute("data-lag"), (v) => v === "2");
    const committed = await api<{ offsets: Array<{ topic: string; partition: number; offset: number }> }>("GET", "/groups/billing/offsets");
    expect(committed.offsets.map((o) => [o.topic, o.partition, o.offset])).toEqual([["orders", 1, 2000]]);
    await shot("13-group-reset");
  }, STEP_MS);

  test("topics: delete one after typing its name", async () => {
    await api("POST", "/create-topic", { topic: "scratch", partitions: 1 });
    await page.goto(url("/console/topics"));
    await page.locator("[data-topic=scratch]").waitFor();
    await untilTrue("both topics listed", async () => (await text("[data-testid=topics-range]")) === "1–2 of 2");
    // every partition's totals come from its leader in one answer (GET /topics?details=true)
    expect(await text("[data-topic=orders] td:nth-child(4)")).toBe("2,002");
    expect(await text("[data-topic=orders] td:nth-child(3)")).toBe("1");
    await shot("14-topics-list");
    await page.getByLabel("Topic name contains").fill("scr");
    await untilTrue("the name filter", async () => (await text("[data-testid=topics-range]")) === "1–1 of 1");
    expect(await page.locator("[data-testid=topics] tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-topic")))).toEqual(["scratch"]);
    await page.goto(url("/console/topics/scratch"));
    await page.getByRole("button", { name: "Delete topic…" }).click();
    const confirm = page.getByRole("button", { name: "Delete scratch" });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel("Topic name to confirm").fill("scratch");
    await shot("15-topic-delete-confirm");
    await confirm.click();
    await page.waitForURL((u) => u.pathname === "/console/topics");
    const topics = await api<{ topics: string[] }>("GET", "/list-topics");
    expect(topics.topics).toEqual(["orders"]);
  }, STEP_MS);

  test("overview: a killed broker is marked down, and its partitions are counted offline", async () => {
    await page.goto(url("/console"));
    await until("no offline partitions", () => text("[data-stat='Offline partitions']"), (t) => t === "0");
    // disk used per broker, gathered by broker 1 from each (GET /cluster/metrics): broker 2 holds orders/1
    await until("broker 2's disk", () => text("[data-broker='2'] td:nth-child(9)"), (t) => t.endsWith("KiB"));
    await cluster.broker(3).kill9();
    await page.locator("[data-broker='3'] [data-state=unreachable]").waitFor({ timeout: 60_000 });
    // broker 3 leads orders' partition 2
    await until("offline partitions", () => text("[data-stat='Offline partitions']"), (t) => t === "1");
    expect(await text("[data-stat='Brokers']")).toBe("2 / 3 alive");
    expect(await text("[data-testid=broker-warnings]")).toContain("Broker 3");
    await until("broker 3 left out of the rates", () => text("[data-testid=rates-missing]"), (t) => t.includes("Broker 3"));
    await shot("16-overview-broker-down");
    await page.emulateMedia({ colorScheme: "dark" });
    await shot("17-overview-broker-down-dark");
    await page.emulateMedia({ colorScheme: "light" });
  }, STEP_MS);

  test("keyboard and token: links follow Enter, and a saved token is sent as a bearer header", async () => {
    await page.goto(url("/console"));
    await page.getByRole("link", { name: "Topics" }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.pathname === "/console/topics");
    await page.getByRole("link", { name: "Token" }).focus();
    await page.keyboard.press("Enter");
    await page.getByLabel("Token", { exact: true }).fill("s3cret");
    await page.keyboard.press("Enter");
    await page.getByText("Saved: requests now carry the token.").waitFor();
    // these brokers run without --auth=token: the header says the token is not checked
    await until("the session line", () => text("[data-testid=session] span"), (t) => t === "tokens not checked");
    await shot("18-token");
    const sent = page.waitForRequest((r) => r.url().endsWith("/cluster"));
    await page.getByRole("link", { name: "Overview" }).click();
    expect((await sent).headers().authorization).toBe("Bearer s3cret");
  }, STEP_MS);

  test("no script error on any page", () => {
    expect(pageErrors).toEqual([]);
  });
});
