import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { issueApiToken } from "../../src/auth/api-token.ts";
import { ADMIN_PRINCIPAL, loadOrCreateAdminToken } from "../../src/auth/admin-token.ts";
import { type BrokerProcess, runCli, startBroker, startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { call } from "../helpers/cluster-http.ts";

/**
 * --auth=token: every route but /health and the OpenAPI page needs `Authorization: Bearer`
 * with a valid token; missing, malformed, unknown and wrong tokens are 401 before anything
 * is read or changed. The bootstrap admin token is created in its file at first start.
 */

const root = mkdtempSync(join(tmpdir(), "streamnest-token-auth-"));
let broker: BrokerProcess;
let stop: () => Promise<void>;
let token: string;

beforeAll(async () => {
  const file = join(root, "admin-token");
  // Two HTTP threads: the workers' fast paths (single produce and consume) must refuse and
  // serve exactly as the routes do (the owner decides access); the one-thread path is
  // what every other token test runs on (the default on a 2-core machine).
  ({ broker, stop } = await startBroker({ args: ["--auth=token", `--admin-token-file=${file}`, "--workers=2"] }));
  token = readFileSync(file, "utf8").trim();
  expect(statSync(file).mode & 0o777).toBe(0o600);
  await broker.waitForOutput(`Created the admin token (User:admin) in ${file}`);
});
afterAll(async () => {
  await stop?.();
  rmSync(root, { recursive: true, force: true });
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe("--auth=token over HTTP", () => {
  test("without a token, or with a malformed, unknown or wrong one: 401 naming why, and nothing changes", async () => {
    const [, id] = /^snt_([0-9a-f]{16})_/.exec(token) ?? [];
    const wrongSecret = `snt_${id}_${"A".repeat(43)}`;
    const unknown = issueApiToken(ADMIN_PRINCIPAL, { now: Date.now() }).token;
    const cases: Array<[Record<string, string>, string]> = [
      [{}, "this broker needs an API token: send Authorization: Bearer <token>"],
      [{ authorization: token }, "the Authorization header must be Bearer <token>"],
      [{ authorization: `Basic ${btoa("admin:x")}` }, "the Authorization header must be Bearer <token>"],
      [bearer("nonsense"), "invalid API token"],
      [bearer(unknown), "invalid API token"],
      [bearer(wrongSecret), "invalid API token"],
    ];
    const routes: Array<[string, string, unknown]> = [
      ["POST", "/create-topic", { topic: "secret-topic", partitions: 1 }],
      ["GET", "/list-topics", undefined],
      ["GET", "/metadata", undefined],
      ["POST", "/produce", { topic: "secret-topic", message: "x" }],
      ["GET", "/consume?topic=secret-topic&partition=0&offset=0", undefined],
      ["GET", "/topics/secret-topic", undefined],
      ["DELETE", "/topics/secret-topic", undefined],
      ["GET", "/metrics", undefined],
      ["GET", "/cluster", undefined],
      ["GET", "/no-such-route", undefined],
    ];
    for (const [headers, message] of cases)
      for (const [method, path, body] of routes) {
        const res = await fetch(`${broker.url}${path}`, {
          method,
          headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        expect({ path, status: res.status, challenge: res.headers.get("www-authenticate"), body: await res.json() }).toEqual({
          path,
          status: 401,
          challenge: 'Bearer realm="streamnest"',
          body: { error: "UNAUTHORIZED", message },
        });
      }
    expect((await call(broker, "GET", "/list-topics", undefined, bearer(token))).body).toEqual({ topics: [] });
  });

  test("with the admin token every route works; /health and the OpenAPI page stay open", async () => {
    expect((await call(broker, "POST", "/create-topic", { topic: "orders", partitions: 2 }, bearer(token))).body).toEqual({ status: "created" });
    expect((await call(broker, "POST", "/produce", { topic: "orders", message: "one", partition: 1 }, bearer(token))).body).toEqual({
      offset: 0,
      partition: 1,
    });
    expect((await call(broker, "GET", "/consume?topic=orders&partition=1&offset=0", undefined, bearer(token))).body).toEqual({
      offset: 0,
      message: "one",
    });
    expect((await call(broker, "GET", "/health", undefined)).status).toBe(200);
    expect((await fetch(`${broker.url}/swagger/json`)).status).toBe(200);
  });

  test("the CLI sends --token, else STREAMNEST_TOKEN; without one it says why it was refused", async () => {
    const meta = `127.0.0.1:${broker.port}`;
    const flagged = await runCli(["topics", "list", `--meta=${meta}`, `--token=${token}`]);
    expect([flagged.exitCode, flagged.stdout]).toEqual([0, "orders\n"]);
    const byEnv = await runCli(["topics", "list", `--meta=${meta}`], { env: { STREAMNEST_TOKEN: token } });
    expect([byEnv.exitCode, byEnv.stdout]).toEqual([0, "orders\n"]);
    const without = await runCli(["topics", "list", `--meta=${meta}`], { env: { STREAMNEST_TOKEN: "" } });
    expect(without.exitCode).toBe(1);
    expect(without.stderr).toContain("this broker needs an API token: send Authorization: Bearer <token>");
    const produced = await runCli(["producer", `--meta=${meta}`, "--topic=orders", "--partition=0"], { stdin: "two\n", env: { STREAMNEST_TOKEN: token } });
    expect(produced.exitCode).toBe(0);
    expect((await call(broker, "GET", "/consume?topic=orders&partition=0&offset=0", undefined, bearer(token))).body).toEqual({ offset: 0, message: "two" });
  });
});

describe("--auth=token in a cluster", () => {
  let cluster: TestCluster;
  let shared: string;
  beforeAll(async () => {
    const file = join(root, "cluster-admin-token");
    const admin = loadOrCreateAdminToken(file);
    expect(admin.created).toBe(true);
    shared = readFileSync(file, "utf8").trim();
    cluster = await startCluster(2, { args: ["--auth=token", `--admin-token-file=${file}`], token: shared });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test("every broker accepts the same admin token, and forwarding between brokers needs none", async () => {
    const [one, two] = cluster.brokers;
    expect((await call(one, "POST", "/create-topic", { topic: "spread", partitions: 2 }, bearer(shared))).status).toBe(200);
    // Partition 1 is led by broker 2: produced through broker 1, read through broker 2 and back through 1.
    expect((await call(one, "POST", "/produce", { topic: "spread", message: "fwd", partition: 1 }, bearer(shared))).body).toEqual({ offset: 0, partition: 1 });
    expect((await call(two, "GET", "/consume?topic=spread&partition=1&offset=0", undefined, bearer(shared))).body).toEqual({ offset: 0, message: "fwd" });
    expect((await call(one, "GET", "/consume?topic=spread&partition=1&offset=0", undefined, bearer(shared))).body).toEqual({ offset: 0, message: "fwd" });
    expect((await call(two, "GET", "/list-topics", undefined)).status).toBe(401);
  });
});
