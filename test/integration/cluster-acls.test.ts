import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateAdminToken } from "../../src/auth/admin-token.ts";
import { call, eventually } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";

/**
 * Users, tokens and ACLs go through the metadata quorum like topics: made through one
 * broker, they hold on every broker as soon as it has applied the committed change (a
 * user's token works everywhere, a missing permission is refused everywhere with the same
 * 403), and list answers are filtered on every broker alike. The broker that took the
 * change has it when it answers; another may apply it a moment later (its next fetch from
 * the quorum leader), which the test waits for by the metadata version.
 */

const root = mkdtempSync(join(tmpdir(), "streamnest-cluster-acls-"));
const tokenFile = join(root, "admin-token");
loadOrCreateAdminToken(tokenFile);
const admin = readFileSync(tokenFile, "utf8").trim();
let cluster: QuorumCluster;

beforeAll(async () => {
  // Snapshots every 4 metadata entries, so that a restart replays users and ACLs from a snapshot.
  cluster = await startQuorumCluster(3, { args: ["--auth=token", `--admin-token-file=${tokenFile}`, "--metadata-snapshot-entries=4"], token: admin });
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

const as = (token: string, id: number, method: string, path: string, body?: unknown) =>
  call<Record<string, unknown>>(cluster.broker(id), method, path, body, { authorization: `Bearer ${token}` });

/** Waits until every broker has applied the metadata that broker `via` holds now. */
async function everyBrokerCaughtUp(via: number): Promise<void> {
  const version = (await as(admin, via, "GET", "/metadata")).body.version as number;
  await eventually(async () => {
    for (const id of [1, 2, 3]) if (((await as(admin, id, "GET", "/metadata")).body.version as number) < version) return false;
    return true;
  }, `every broker at metadata version ${version}`);
}

test("a user, its token and its ACLs made through one broker hold on every broker at once", async () => {
  expect((await as(admin, 1, "POST", "/create-topic", { topic: "payments", partitions: 1 })).body).toEqual({ status: "created" });
  expect((await as(admin, 1, "POST", "/create-topic", { topic: "payroll", partitions: 1 })).body).toEqual({ status: "created" });
  expect(await as(admin, 2, "POST", "/admin/users", { name: "erin", password: "erin-password" })).toEqual({
    status: 200,
    body: { status: "created", user: "erin", mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-512"] },
  });
  const issued = await as(admin, 3, "POST", "/admin/users/erin/tokens", { description: "ci" });
  expect(issued.status).toBe(200);
  const erin = issued.body.token as string;
  await everyBrokerCaughtUp(3);
  for (const id of [1, 2, 3]) {
    expect(await as(erin, id, "GET", "/admin/whoami")).toEqual({ status: 200, body: { principal: "User:erin", super_user: false, authentication: "token" } });
    expect(await as(erin, id, "POST", "/produce", { topic: "payments", message: "m" })).toEqual({
      status: 403,
      body: {
        error: "FORBIDDEN",
        message: 'User:erin lacks WRITE on topic "payments"',
        details: { principal: "User:erin", operation: "WRITE", resource_type: "TOPIC", resource_name: "payments" },
      },
    });
    expect(await as(erin, id, "GET", "/list-topics")).toEqual({ status: 200, body: { topics: [] } });
  }
  expect(await as(admin, 1, "POST", "/admin/acls", { principal: "User:erin", operation: "WRITE", resource_type: "TOPIC", resource_name: "pay", pattern_type: "PREFIXED" })).toEqual({
    status: 200,
    body: { status: "created" },
  });
  await everyBrokerCaughtUp(1);
  for (const id of [1, 2, 3]) {
    expect((await as(erin, id, "POST", "/produce", { topic: "payroll", message: `via ${id}` })).status).toBe(200);
    expect(await as(erin, id, "GET", "/list-topics")).toEqual({ status: 200, body: { topics: ["payments", "payroll"] } });
    expect(await as(erin, id, "GET", "/consume?topic=payroll&partition=0&offset=0")).toEqual({
      status: 403,
      body: {
        error: "FORBIDDEN",
        message: 'User:erin lacks READ on topic "payroll"',
        details: { principal: "User:erin", operation: "READ", resource_type: "TOPIC", resource_name: "payroll" },
      },
    });
  }
  // Revoked through broker 2: refused on every broker.
  expect((await as(admin, 2, "DELETE", `/admin/tokens/${issued.body.id as string}`)).status).toBe(200);
  await everyBrokerCaughtUp(2);
  for (const id of [1, 2, 3])
    expect(await as(erin, id, "GET", "/list-topics")).toEqual({ status: 401, body: { error: "UNAUTHORIZED", message: "invalid API token" } });
}, 60_000);

test("users, tokens and ACLs are in the quorum's metadata snapshots: every broker killed and restarted still holds them", async () => {
  expect((await as(admin, 1, "POST", "/admin/users", { name: "frank", password: "frank-password" })).status).toBe(200);
  const issued = await as(admin, 2, "POST", "/admin/users/frank/tokens", { description: "restart" });
  const frank = issued.body.token as string;
  expect((await as(admin, 3, "POST", "/admin/acls", { principal: "User:frank", operation: "READ", resource_type: "TOPIC", resource_name: "payroll" })).body).toEqual({
    status: "created",
  });
  // More entries after them, so that the latest snapshot on every broker is taken after the security changes.
  for (let i = 0; i < 8; i++) expect((await as(admin, (i % 3) + 1, "POST", "/create-topic", { topic: `later-${i}`, partitions: 1 })).status).toBe(200);
  await everyBrokerCaughtUp(1);
  for (const b of cluster.brokers) {
    const logDir = join(b.dataDir, "meta", "__cluster_metadata-0");
    const snapshots = readdirSync(logDir, { recursive: true }).map(String).filter((f) => f.endsWith(".snapshot")).sort();
    expect(snapshots.length).toBeGreaterThan(0);
    const latest = JSON.parse(readFileSync(join(logDir, snapshots[snapshots.length - 1]), "utf8")) as { security?: { users: Array<{ name: string }> } };
    expect(latest.security?.users.map((u) => u.name)).toEqual(["erin", "frank"]);
  }
  await Promise.all(cluster.brokers.map((b) => b.kill9()));
  await Promise.all(cluster.brokers.map((b) => cluster.start(b.id)));
  await cluster.leader();
  for (const id of [1, 2, 3]) {
    expect(await as(frank, id, "GET", "/admin/whoami")).toEqual({ status: 200, body: { principal: "User:frank", super_user: false, authentication: "token" } });
    expect((await as(frank, id, "GET", "/consume?topic=payroll&partition=0&offset=0")).status).toBe(200);
    expect((await as(frank, id, "POST", "/produce", { topic: "payroll", message: "no" })).status).toBe(403);
  }
}, 120_000);
