import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessControl } from "../../src/auth/access-control.ts";
import { ADMIN_PRINCIPAL } from "../../src/auth/admin-token.ts";
import { issueApiToken } from "../../src/auth/api-token.ts";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { createApp, type StreamNestApp } from "../../src/http/app.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

/**
 * Issue 14: a principal never learns the names of topics it cannot describe, not even from
 * answers about something it may see. A group's answers to a principal allowed the group
 * but not all of its topics: the group view, its
 * committed offsets and what deleting them removed show only the topics the caller may
 * describe, as Kafka's OffsetFetch of "every partition" leaves the others out. A real
 * broker and app in process (no socket).
 */

let dir: string;
let broker: Broker;
let app: StreamNestApp;
const admin = issueApiToken(ADMIN_PRINCIPAL, { now: Date.now() });
let alice = "";

// biome-ignore lint/suspicious/noExplicitAny: answers are asserted whole
async function call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await app.handle(new Request(`http://localhost${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

async function asAdmin(method: string, path: string, body?: unknown) {
  const answer = await call(admin.token, method, path, body);
  if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

const acl = (operation: string, resource_type: string, resource_name: string) =>
  asAdmin("POST", "/admin/acls", { principal: "User:alice", operation, resource_type, resource_name, pattern_type: "LITERAL" });

let memberId = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "streamnest-groups-acl-"));
  broker = Broker.open(brokerConfig({ id: 1, dataDir: dir, port: 9999 }), { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
  const access = new AccessControl({ mode: "token", bootstrap: admin.record, security: () => broker.security() });
  app = createApp(broker, { access, logError: () => {} });
  for (const topic of ["pub", "secret-plans"]) {
    await asAdmin("POST", "/create-topic", { topic, partitions: 1 });
    await asAdmin("POST", "/produce", { topic, message: "m" });
  }
  const joined = await asAdmin("POST", "/groups/shared/members", { topics: ["pub", "secret-plans"] });
  memberId = joined.member_id;
  await asAdmin("POST", "/groups/shared/offsets", {
    member_id: memberId,
    generation: joined.generation,
    offsets: [
      { topic: "pub", partition: 0, offset: 1 },
      { topic: "secret-plans", partition: 0, offset: 1 },
    ],
  });
  await asAdmin("POST", "/admin/users", { name: "alice", password: "alice-password" });
  alice = (await asAdmin("POST", "/admin/users/alice/tokens", {})).token;
  await acl("READ", "TOPIC", "pub");
  await acl("READ", "GROUP", "shared");
  await acl("DELETE", "GROUP", "shared");
  await acl("CREATE", "TOPIC", "Secret-Plans");
});

afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a group's topics, as a principal allowed the group and one of its topics sees them", () => {
  test("the group view leaves out the topic she may not describe, in members' subscriptions, assignments and partitions", async () => {
    const full = await asAdmin("GET", "/groups/shared");
    expect(full.partitions.map((p: { topic: string }) => p.topic)).toEqual(["pub", "secret-plans"]);
    const seen = await call(alice, "GET", "/groups/shared");
    expect(seen.status).toBe(200);
    expect(JSON.stringify(seen.body)).not.toContain("secret-plans");
    expect(seen.body.members).toEqual([{ ...full.members[0], topics: ["pub"], assignments: [{ topic: "pub", partition: 0 }] }]);
    expect(seen.body.partitions).toEqual([full.partitions[0]]);
  });

  test("the committed offsets of every topic are hers only; naming the other is 403", async () => {
    const all = await call(alice, "GET", "/groups/shared/offsets");
    expect(all.status).toBe(200);
    expect(all.body.offsets.map((o: { topic: string }) => o.topic)).toEqual(["pub"]);
    expect((await call(alice, "GET", "/groups/shared/offsets?topic=secret-plans")).status).toBe(403);
  });

  test("deleting the group's offsets (Kafka's DeleteGroups: DELETE on the group) names only the topics she may describe", async () => {
    await asAdmin("DELETE", `/groups/shared/members/${memberId}`);
    const deleted = await call(alice, "DELETE", "/groups/shared/offsets");
    expect(deleted).toEqual({ status: 200, body: { deleted: [{ topic: "pub", partition: 0 }] } });
  });
});

describe("a refused topic creation", () => {
  test("a name differing only in case from a topic she may not describe is refused without naming that topic", async () => {
    expect(await call(alice, "POST", "/create-topic", { topic: "Secret-Plans", partitions: 1 })).toEqual({
      status: 400,
      body: {
        error: "INVALID_TOPIC_NAME",
        message: 'topic "Secret-Plans" differs from an existing topic only in case; their folders would collide on case-insensitive file systems (macOS, Windows)',
      },
    });
  });
});
