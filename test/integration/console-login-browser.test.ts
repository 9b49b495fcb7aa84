import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { loadOrCreateAdminToken } from "../../src/auth/admin-token.ts";
import { runCli, startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { REPO_ROOT } from "../helpers/streamnest-command.ts";
import { until } from "../helpers/until.ts";

/**
 * The console logging in (issues 14 and 15) in Debian's chromium, against a real cluster
 * of 3 broker processes run with --auth=token: the console asks for a token, refuses a
 * wrong one inline, brings the user back to the page they opened once a token is
 * accepted, shows each token only the topics it may describe, and its live tail (fetch
 * streaming with the bearer header) follows a partition while logged in. Screenshots in
 * test-output/console-login/.
 */

const CHROMIUM = process.env.STREAMNEST_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`console login browser tests skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set STREAMNEST_CHROMIUM)`);

const SHOTS = join(REPO_ROOT, "test-output", "console-login");
const STEP_MS = 90_000;

const root = mkdtempSync(join(tmpdir(), "streamnest-console-login-"));
const tokenFile = join(root, "admin-token");
loadOrCreateAdminToken(tokenFile);
const admin = readFileSync(tokenFile, "utf8").trim();
let alice = "";

let cluster: TestCluster;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const url = (path: string): string => `${cluster.broker(1).url}${path}`;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(url(path), {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function asAdmin(args: string[]): Promise<string> {
  const done = await runCli([...args, `--meta=${cluster.broker(2).url.replace("http://", "")}`], { env: { STREAMNEST_TOKEN: admin } });
  if (done.exitCode !== 0) throw new Error(`streamnest ${args.join(" ")}: ${done.stderr}`);
  return done.stdout;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const text = async (selector: string): Promise<string> => ((await page.locator(selector).first().textContent()) ?? "").trim();
const listedTopics = () => page.locator("[data-testid=topics] tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-topic")));

async function logIn(token: string): Promise<void> {
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Log in" }).click();
}

describe.skipIf(!haveChromium)("console logging in, on a 3-broker cluster with --auth=token", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    cluster = await startCluster(3, { args: ["--host=127.0.0.1", "--auth=token", `--admin-token-file=${tokenFile}`], token: admin });
    for (const topic of ["a-orders", "a-payments", "b-secret"]) await api("POST", "/create-topic", { topic, partitions: 2 });
    // alice may see and read the topics named a-…, and nothing else
    await asAdmin(["users", "add", "alice"]);
    alice = (await asAdmin(["users", "token", "alice", "--description=console test"])).trim();
    for (const operation of ["describe", "read"])
      await asAdmin(["acls", "add", "--allow-principal=User:alice", `--operation=${operation}`, "--topic=a-", "--resource-pattern-type=prefixed"]);
    // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("pageerror", (error) => pageErrors.push(String(error)));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  test("a shared link without a token shows the login view at that address, under 300 KB", async () => {
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
    await page.goto(url("/console/topics/a-orders?partition=1&live=1"));
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await page.waitForLoadState("networkidle");
    page.off("response", count);
    await Promise.all(counted);
    console.log(`console login first view: ${bytes} bytes transferred`);
    expect(bytes).toBeLessThan(300 * 1024);
    expect(await text(".login p")).toContain("this broker needs an API token: send Authorization: Bearer <token>");
    expect(page.url()).toBe(url("/console/topics/a-orders?partition=1&live=1"));
    // no view behind the form, and no session to end
    expect(await page.locator("[data-testid=live-tail]").count()).toBe(0);
    expect(await page.locator("[data-testid=session]").count()).toBe(0);
    await shot("01-login");
    await page.emulateMedia({ colorScheme: "dark" });
    await shot("01-login-dark");
    await page.emulateMedia({ colorScheme: "light" });
  }, STEP_MS);

  test("a wrong token is refused inline, and the login view stays", async () => {
    const [, id] = /^snt_([0-9a-f]{16})_/.exec(admin) ?? [];
    await logIn(`snt_${id}_${"A".repeat(43)}`);
    await page.locator("[data-testid=login-refused]").waitFor();
    expect(await text("[data-testid=login-refused]")).toBe("This token was refused: invalid API token.");
    expect(await page.getByLabel("API token").getAttribute("aria-invalid")).toBe("true");
    await shot("02-login-wrong-token");
    await logIn("not a token at all");
    await until("the refusal of a token with spaces", () => text("[data-testid=login-refused]"), (t) => t === "Could not log in: a token has no spaces (it looks like snt_…).");
    await logIn("nonsense");
    await until("the refusal of the third token", () => text("[data-testid=login-refused]"), (t) => t === "This token was refused: invalid API token.");
    expect(page.url()).toBe(url("/console/topics/a-orders?partition=1&live=1"));
    expect(await page.evaluate(() => sessionStorage.getItem("streamnest.console.token"))).toBeNull();
  }, STEP_MS);

  test("the admin token logs in, back on the page opened, whose live tail follows new messages", async () => {
    await logIn(admin);
    await page.locator("[data-testid=live-tail] .badge.alive").waitFor();
    expect(page.url()).toBe(url("/console/topics/a-orders?partition=1&live=1"));
    expect(await text("[data-testid=session] span")).toBe("User:admin");
    await api("POST", "/produce", { topic: "a-orders", partition: 1, key: "k-1", message: '{"logged":"in"}' });
    const row = page.locator("[data-testid=live-tail] tr[data-offset='0']");
    await row.waitFor();
    expect((await row.textContent()) ?? "").toContain("k-1");
    expect(await row.locator("pre.value").textContent()).toBe('{\n  "logged": "in"\n}');
    await shot("03-admin-live-tail");
  }, STEP_MS);

  test("the admin sees every topic and the cluster overview", async () => {
    await page.getByRole("link", { name: "Topics" }).click();
    await until("every topic", listedTopics, (t) => t.length === 3);
    expect(await listedTopics()).toEqual(["a-orders", "a-payments", "b-secret"]);
    await shot("04-admin-topics");
    await page.getByRole("link", { name: "Overview" }).click();
    await until("three brokers", () => text("[data-stat='Brokers']"), (t) => t === "3 / 3 alive");
  }, STEP_MS);

  test("log out forgets the token and asks for one again", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("streamnest.console.token"))).toBeNull();
    expect(await text(".login .ok")).toBe("Logged out: the token is forgotten in this tab.");
    expect(await page.locator("[data-testid=session]").count()).toBe(0);
    await shot("05-logged-out");
  }, STEP_MS);

  test("a user allowed only topics named a-… sees only those; elsewhere a 403 names the missing permission", async () => {
    await page.goto(url("/console/topics"));
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await logIn(alice);
    await until("alice's topics", listedTopics, (t) => t.length === 2);
    expect(await listedTopics()).toEqual(["a-orders", "a-payments"]);
    expect(await page.locator("[data-topic=b-secret]").count()).toBe(0);
    expect(await text("[data-testid=session] span")).toBe("User:alice");
    await shot("06-alice-topics");
    await page.getByRole("link", { name: "Overview" }).click();
    await page.locator("[data-testid=forbidden]").first().waitFor();
    expect(await text("[data-testid=missing-permission]")).toBe("DESCRIBE on CLUSTER kafka-cluster");
    await shot("07-alice-overview-forbidden");
    await page.goto(url("/console/topics/b-secret"));
    await page.locator("[data-testid=forbidden]").first().waitFor();
    expect(await text("[data-testid=missing-permission]")).toBe("DESCRIBE on TOPIC b-secret");
    await shot("08-alice-other-topic-forbidden");
  }, STEP_MS);

  test("her live tail works on a-orders' partition 1; her produce form is refused for want of WRITE", async () => {
    await page.goto(url("/console/topics/a-orders?partition=1&live=1"));
    await page.locator("[data-testid=live-tail] .badge.alive").waitFor();
    await api("POST", "/produce", { topic: "a-orders", partition: 1, key: "k-2", message: "for alice" });
    const row = page.locator("[data-testid=live-tail] tr[data-offset='1']");
    await row.waitFor();
    expect((await row.textContent()) ?? "").toContain("for alice");
    await shot("09-alice-live-tail");
    // she may read a-orders but not write to it: the produce form says which permission is missing
    await page.getByText("Produce a message").click();
    const form = page.getByRole("form", { name: "Produce a message" });
    await form.locator("textarea[name=value]").fill("from alice");
    await form.getByRole("button", { name: "Produce" }).click();
    const refusal = page.locator("[data-testid=forbidden]", { hasText: "Refused" });
    await refusal.waitFor();
    expect(await refusal.locator("[data-testid=missing-permission]").textContent()).toBe("WRITE on TOPIC a-orders");
    await refusal.scrollIntoViewIfNeeded();
    await shot("10-alice-produce-forbidden");
  }, STEP_MS);

  test("a token revoked while in use brings the login view back", async () => {
    const { tokens } = await api<{ tokens: Array<{ id: string; principal: string }> }>("GET", "/admin/tokens");
    const id = tokens.find((t) => t.principal === "User:alice")?.id;
    expect(id).toBeDefined();
    await api("DELETE", `/admin/tokens/${id}`);
    await page.goto(url("/console/topics"));
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    expect(await text(".login p")).toBe(
      "The token this tab used was refused (invalid API token). Enter an API token; the console sends it as Authorization: Bearer … and keeps it for this browser tab only.",
    );
    expect(await page.evaluate(() => sessionStorage.getItem("streamnest.console.token"))).toBeNull();
    expect(await page.locator("[data-testid=session]").count()).toBe(0);
    await shot("11-revoked-token");
  }, STEP_MS);

  test("no script error on any page", () => {
    expect(pageErrors).toEqual([]);
  });
});
