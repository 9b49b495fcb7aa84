import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessControl } from "../../src/auth/access-control.ts";
import { ADMIN_PRINCIPAL } from "../../src/auth/admin-token.ts";
import { issueApiToken } from "../../src/auth/api-token.ts";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { createApp, type StreamNestApp } from "../../src/http/app.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { SseReader } from "./sse-reader.ts";

/**
 * Users, tokens and ACLs kept in the metadata, and every refusal of --auth=token over HTTP
 * with its exact status and code: 401 for a missing, revoked or expired token, 403
 * FORBIDDEN naming the permission missing, and list answers that leave out what the
 * principal may not describe. A real broker and app in process (no socket).
 */

let dir: string;
let broker: Broker;
let app: StreamNestApp;
const admin = issueApiToken(ADMIN_PRINCIPAL, { now: Date.now(), description: "bootstrap admin" });

function open(): void {
  broker = Broker.open(brokerConfig({ id: 1, dataDir: dir, port: 9999 }), { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
  const access = new AccessControl({ mode: "token", bootstrap: admin.record, security: () => broker.security() });
  app = createApp(broker, { access, logError: () => {} });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "streamnest-admin-"));
  open();
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: answers are asserted field by field
async function call(token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await app.handle(new Request(`http://localhost${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

const asAdmin = (method: string, path: string, body?: unknown) => call(admin.token, method, path, body);

async function grant(binding: Record<string, string>): Promise<void> {
  expect(await asAdmin("POST", "/admin/acls", binding)).toEqual({ status: 200, body: { status: "created" } });
}

async function revoke(binding: Record<string, string>): Promise<void> {
  expect(await asAdmin("DELETE", "/admin/acls", binding)).toEqual({ status: 200, body: { status: "deleted" } });
}

function forbidden(principal: string, operation: string, type: string, name: string, what: string) {
  return {
    status: 403,
    body: {
      error: "FORBIDDEN",
      message: `${principal} lacks ${operation} on ${what}`,
      details: { principal, operation, resource_type: type, resource_name: name },
    },
  };
}

const onTopic = (principal: string, operation: string, name: string) =>
  forbidden(principal, operation, "TOPIC", name, `topic ${JSON.stringify(name)}`);

async function newUser(name: string): Promise<string> {
  const created = await asAdmin("POST", "/admin/users", { name, password: `${name}-password` });
  expect(created).toEqual({ status: 200, body: { status: "created", user: name, mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-512"] } });
  const issued = await asAdmin("POST", `/admin/users/${name}/tokens`, {});
  expect(issued.status).toBe(200);
  expect(issued.body.principal).toBe(`User:${name}`);
  return issued.body.token as string;
}

describe("users and tokens in the metadata", () => {
  test("the admin creates a user and a token; the token authenticates it, and it may do nothing yet", async () => {
    const alice = await newUser("alice");
    expect(await asAdmin("POST", "/create-topic", { topic: "orders", partitions: 1 })).toEqual({ status: 200, body: { status: "created" } });
    expect(await call(alice, "GET", "/admin/whoami")).toEqual({
      status: 200,
      body: { principal: "User:alice", super_user: false, authentication: "token" },
    });
    expect(await call(alice, "POST", "/produce", { topic: "orders", message: "m" })).toEqual(onTopic("User:alice", "WRITE", "orders"));
    expect(await call(alice, "GET", "/list-topics")).toEqual({ status: 200, body: { topics: [] } });
    expect((await call(alice, "GET", "/metadata")).body.topic_partitions).toEqual({});
    // The user is listed with its mechanisms and token count, never its credentials.
    const users = await asAdmin("GET", "/admin/users");
    expect(users).toEqual({ status: 200, body: { users: [{ name: "alice", mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-512"], tokens: 1, super_user: false }] } });
    // A user named admin is the bootstrap super user (User:admin), and is listed as one.
    expect((await asAdmin("POST", "/admin/users", { name: "admin", password: "admin-password" })).status).toBe(200);
    expect((await asAdmin("GET", "/admin/users")).body).toEqual({
      users: [
        { name: "admin", mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-512"], tokens: 0, super_user: true },
        { name: "alice", mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-512"], tokens: 1, super_user: false },
      ],
    });
    expect((await asAdmin("DELETE", "/admin/users/admin")).status).toBe(200);
    // What the metadata keeps: SCRAM credentials and a token hash, never the password or the token.
    const persisted = readFileSync(join(dir, "meta", "metadata.json"), "utf8");
    expect(persisted).not.toContain("alice-password");
    expect(persisted).not.toContain(alice);
    expect(JSON.parse(persisted).security.users[0].name).toBe("alice");
  });

  test("a user that exists, a token for a user that does not, an unknown token id: 409, 404, 404", async () => {
    expect(await asAdmin("POST", "/admin/users", { name: "alice" })).toEqual({
      status: 409,
      body: { error: "USER_EXISTS", message: 'user "alice" already exists' },
    });
    expect(await asAdmin("POST", "/admin/users/nobody/tokens", {})).toEqual({
      status: 404,
      body: { error: "USER_NOT_FOUND", message: 'user "nobody" does not exist' },
    });
    expect(await asAdmin("DELETE", "/admin/tokens/0123456789abcdef")).toEqual({
      status: 404,
      body: { error: "NOT_FOUND", message: "no API token has id 0123456789abcdef" },
    });
    expect(await asAdmin("DELETE", "/admin/tokens/not-an-id")).toEqual({
      status: 400,
      body: { error: "INVALID_REQUEST", message: "token id must be 16 lowercase hex digits" },
    });
    expect((await asAdmin("POST", "/admin/users", { name: "User*", password: "" })).body.error).toBe("INVALID_REQUEST");
    expect(await asAdmin("POST", "/admin/users", { name: "" })).toEqual({
      status: 400,
      body: { error: "INVALID_REQUEST", message: 'name must be a non-empty string (the user name), got ""' },
    });
  });

  test("a token id that is not 16 hex digits is a 400 at once, and nothing reaches the metadata log (it once made the broker unable to restart)", async () => {
    const before = broker.clusterMetadata().version;
    expect(await asAdmin("DELETE", "/admin/tokens/xyz")).toEqual({
      status: 400,
      body: { error: "INVALID_REQUEST", message: "token id must be 16 lowercase hex digits" },
    });
    expect(broker.clusterMetadata().version).toBe(before);
  });

  test("a revoked token, an expired one and the token of a deleted user are 401", async () => {
    const bob = await newUser("bob");
    expect((await call(bob, "GET", "/list-topics")).status).toBe(200);
    const id = /^snt_([0-9a-f]{16})_/.exec(bob)?.[1];
    expect(await asAdmin("DELETE", `/admin/tokens/${id}`)).toEqual({ status: 200, body: { status: "revoked", id } });
    expect(await call(bob, "GET", "/list-topics")).toEqual({ status: 401, body: { error: "UNAUTHORIZED", message: "invalid API token" } });

    const short = await asAdmin("POST", "/admin/users/bob/tokens", { ttl_ms: 1 });
    await Bun.sleep(5);
    expect(await call(short.body.token, "GET", "/list-topics")).toEqual({
      status: 401,
      body: { error: "UNAUTHORIZED", message: `API token ${short.body.id} expired at ${new Date(short.body.expires_at).toISOString()}` },
    });

    const again = await asAdmin("POST", "/admin/users/bob/tokens", {});
    expect((await call(again.body.token, "GET", "/list-topics")).status).toBe(200);
    expect(await asAdmin("DELETE", "/admin/users/bob")).toEqual({ status: 200, body: { status: "deleted", user: "bob" } });
    expect(await call(again.body.token, "GET", "/list-topics")).toEqual({ status: 401, body: { error: "UNAUTHORIZED", message: "invalid API token" } });
    expect(await call(null, "GET", "/admin/users")).toEqual({
      status: 401,
      body: { error: "UNAUTHORIZED", message: "this broker needs an API token: send Authorization: Bearer <token>" },
    });
  });
});

describe("a token the broker remembers is refused as soon as it is no longer valid", () => {
  test("produce with a token used many times: 200 until its user is deleted, 401 from the very next request; the same for revocation and a WRITE removed (403)", async () => {
    expect((await asAdmin("POST", "/create-topic", { topic: "remembered", partitions: 1 })).status).toBe(200);
    const write = { principal: "User:dave", operation: "WRITE", resource_type: "TOPIC", resource_name: "remembered" };
    const dave = await newUser("dave");
    await grant(write);
    const produce = (token: string) => call(token, "POST", "/produce", { topic: "remembered", partition: 0, message: "m" });
    for (let i = 0; i < 5; i++) expect((await produce(dave)).status).toBe(200);
    await revoke(write);
    expect(await produce(dave)).toEqual(onTopic("User:dave", "WRITE", "remembered"));
    await grant(write);
    expect((await produce(dave)).status).toBe(200);

    const id = /^snt_([0-9a-f]{16})_/.exec(dave)?.[1];
    expect(await asAdmin("DELETE", `/admin/tokens/${id}`)).toEqual({ status: 200, body: { status: "revoked", id } });
    expect(await produce(dave)).toEqual({ status: 401, body: { error: "UNAUTHORIZED", message: "invalid API token" } });

    const again = (await asAdmin("POST", "/admin/users/dave/tokens", {})).body.token as string;
    for (let i = 0; i < 5; i++) expect((await produce(again)).status).toBe(200);
    expect(await asAdmin("DELETE", "/admin/users/dave")).toEqual({ status: 200, body: { status: "deleted", user: "dave" } });
    expect(await produce(again)).toEqual({ status: 401, body: { error: "UNAUTHORIZED", message: "invalid API token" } });
    expect(await produce(again)).toEqual({ status: 401, body: { error: "UNAUTHORIZED", message: "invalid API token" } });
  });
});

describe("a live tail is authorized before each batch it sends, not only when it opens", () => {
  async function openTail(token: string, topic: string): Promise<SseReader> {
    const res = await app.handle(
      new Request(`http://localhost/topics/${topic}/partitions/0/records/stream?offset=0`, { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(res.status).toBe(200);
    return new SseReader(res.body as ReadableStream<Uint8Array>);
  }
  const produce = (topic: string, message: string) => asAdmin("POST", "/produce", { topic, partition: 0, message });

  test("READ taken away: the next batch is a FORBIDDEN error event and the stream ends, the record never sent", async () => {
    expect((await asAdmin("POST", "/create-topic", { topic: "tailed", partitions: 1 })).status).toBe(200);
    const read = { principal: "User:erin", operation: "READ", resource_type: "TOPIC", resource_name: "tailed" };
    const erin = await newUser("erin");
    await grant(read);
    const tail = await openTail(erin, "tailed");
    expect((await produce("tailed", "before")).status).toBe(200);
    expect(JSON.parse((await tail.next())?.data ?? "null").message).toBe("before");
    await revoke(read);
    expect((await produce("tailed", "SECRET-AFTER-REVOCATION")).status).toBe(200);
    const refused = await tail.next();
    expect(refused?.event).toBe("error");
    expect(JSON.parse(refused?.data ?? "null")).toEqual(onTopic("User:erin", "READ", "tailed").body);
    expect(await tail.next()).toBeUndefined();
  });

  test("a long poll (GET /consume?wait_ms, /records?timeout_ms) whose READ is taken away while it waits answers 403, not the record", async () => {
    expect((await asAdmin("POST", "/create-topic", { topic: "polled", partitions: 1 })).status).toBe(200);
    const read = { principal: "User:gina", operation: "READ", resource_type: "TOPIC", resource_name: "polled" };
    const gina = await newUser("gina");
    await grant(read);
    const consume = call(gina, "GET", "/consume?topic=polled&partition=0&offset=0&wait_ms=30000");
    const records = call(gina, "GET", "/topics/polled/partitions/0/records?offset=0&timeout_ms=30000");
    await Bun.sleep(100);
    await revoke(read);
    expect((await produce("polled", "SECRET-AFTER-REVOCATION")).status).toBe(200);
    expect(await consume).toEqual(onTopic("User:gina", "READ", "polled"));
    expect(await records).toEqual(onTopic("User:gina", "READ", "polled"));
  });

  test("its user deleted: the next batch is an UNAUTHORIZED error event and the stream ends", async () => {
    expect((await asAdmin("POST", "/create-topic", { topic: "tailed-2", partitions: 1 })).status).toBe(200);
    const frank = await newUser("frank");
    await grant({ principal: "User:frank", operation: "READ", resource_type: "TOPIC", resource_name: "tailed-2" });
    const tail = await openTail(frank, "tailed-2");
    expect((await produce("tailed-2", "one")).status).toBe(200);
    expect(JSON.parse((await tail.next())?.data ?? "null").message).toBe("one");
    expect(await asAdmin("DELETE", "/admin/users/frank")).toEqual({ status: 200, body: { status: "deleted", user: "frank" } });
    expect((await produce("tailed-2", "two")).status).toBe(200);
    const refused = await tail.next();
    expect(refused?.event).toBe("error");
    expect(JSON.parse(refused?.data ?? "null")).toEqual({ error: "UNAUTHORIZED", message: "invalid API token" });
    expect(await tail.next()).toBeUndefined();
  });
});

describe("each ACL kind allows what it names and nothing else", () => {
  let carol: string;
  const who = "User:carol";
  beforeAll(async () => {
    carol = await newUser("carol");
    for (const topic of ["events", "hidden"]) expect((await asAdmin("POST", "/create-topic", { topic, partitions: 1 })).status).toBe(200);
  });

  test("WRITE: produce, and nothing else", async () => {
    await grant({ principal: who, operation: "WRITE", resource_type: "TOPIC", resource_name: "events" });
    expect(await call(carol, "POST", "/produce", { topic: "events", message: "one" })).toEqual({ status: 200, body: { offset: 0, partition: 0 } });
    expect(await call(carol, "GET", "/consume?topic=events&partition=0&offset=0")).toEqual(onTopic(who, "READ", "events"));
    expect(await call(carol, "POST", "/produce", { topic: "hidden", message: "x" })).toEqual(onTopic(who, "WRITE", "hidden"));
    // WRITE implies DESCRIBE (Kafka): the topic is listed now, the other one is not.
    expect(await call(carol, "GET", "/list-topics")).toEqual({ status: 200, body: { topics: ["events"] } });
    expect(Object.keys((await call(carol, "GET", "/metadata")).body.topic_partitions)).toEqual(["events"]);
    expect((await call(carol, "GET", "/topics")).body.topics).toEqual(["events"]);
  });

  test("READ: consume and the records routes; a group's offsets need READ on the group too", async () => {
    await grant({ principal: who, operation: "READ", resource_type: "TOPIC", resource_name: "events" });
    expect(await call(carol, "GET", "/consume?topic=events&partition=0&offset=0")).toEqual({ status: 200, body: { offset: 0, message: "one" } });
    expect((await call(carol, "GET", "/topics/events/partitions/0/records?offset=0")).status).toBe(200);
    expect(await call(carol, "GET", "/topics/hidden/partitions/0/records?offset=0")).toEqual(onTopic(who, "READ", "hidden"));
    const commit = { offsets: [{ topic: "events", partition: 0, offset: 1 }] };
    expect(await call(carol, "POST", "/groups/billing/offsets", commit)).toEqual(
      forbidden(who, "READ", "GROUP", "billing", 'group "billing"'),
    );
    await grant({ principal: who, operation: "READ", resource_type: "GROUP", resource_name: "billing" });
    expect(await call(carol, "POST", "/groups/billing/offsets", commit)).toEqual({
      status: 200,
      body: { offsets: [{ topic: "events", partition: 0, offset: 1 }] },
    });
    expect(await call(carol, "POST", "/groups/billing/offsets", { offsets: [{ topic: "hidden", partition: 0, offset: 1 }] })).toEqual(
      onTopic(who, "READ", "hidden"),
    );
  });

  test("CREATE on a prefix: topics under it, and no others", async () => {
    await grant({ principal: who, operation: "CREATE", resource_type: "TOPIC", resource_name: "team-", pattern_type: "PREFIXED" });
    expect(await call(carol, "POST", "/create-topic", { topic: "team-a", partitions: 2 })).toEqual({ status: 200, body: { status: "created" } });
    expect(await call(carol, "POST", "/create-topic", { topic: "other", partitions: 1 })).toEqual(onTopic(who, "CREATE", "other"));
    expect((await asAdmin("GET", "/list-topics")).body.topics).not.toContain("other");
  });

  test("CREATE on the cluster: any topic", async () => {
    const dave = await newUser("dave");
    expect(await call(dave, "POST", "/create-topic", { topic: "dave-topic", partitions: 1 })).toEqual(onTopic("User:dave", "CREATE", "dave-topic"));
    await grant({ principal: "User:dave", operation: "CREATE", resource_type: "CLUSTER", resource_name: "kafka-cluster" });
    expect(await call(dave, "POST", "/create-topic", { topic: "dave-topic", partitions: 1 })).toEqual({ status: 200, body: { status: "created" } });
  });

  test("DESCRIBE, ALTER (schemas) and DELETE on one topic", async () => {
    expect(await call(carol, "GET", "/topics/hidden")).toEqual(onTopic(who, "DESCRIBE", "hidden"));
    // A topic that does not exist is refused the same way: its absence is not revealed.
    expect(await call(carol, "GET", "/topics/no-such")).toEqual(onTopic(who, "DESCRIBE", "no-such"));
    await grant({ principal: who, operation: "DESCRIBE", resource_type: "TOPIC", resource_name: "hidden" });
    expect((await call(carol, "GET", "/topics/hidden")).status).toBe(200);
    // CREATE implies no DESCRIBE (Kafka): the topic carol created under her prefix stays unlisted.
    expect(await call(carol, "GET", "/list-topics")).toEqual({ status: 200, body: { topics: ["events", "hidden"] } });

    const schema = { topic: "hidden", schema: { type: "object" } };
    expect(await call(carol, "POST", "/register-schema", schema)).toEqual(onTopic(who, "ALTER", "hidden"));
    await grant({ principal: who, operation: "ALTER", resource_type: "TOPIC", resource_name: "hidden" });
    expect(await call(carol, "POST", "/register-schema", schema)).toEqual({ status: 200, body: { status: "schema registered", version: 1 } });

    expect(await call(carol, "PATCH", "/topics/hidden", { retention_ms: 1000 })).toEqual(onTopic(who, "ALTER_CONFIGS", "hidden"));
    expect(await call(carol, "DELETE", "/topics/hidden")).toEqual(onTopic(who, "DELETE", "hidden"));
    await grant({ principal: who, operation: "DELETE", resource_type: "TOPIC", resource_name: "hidden" });
    expect(await call(carol, "DELETE", "/topics/hidden")).toEqual({ status: 200, body: { status: "deleted", topic: "hidden" } });
  });

  test("a DENY wins over an ALLOW, and removing a binding takes its permission away", async () => {
    const deny = { principal: who, operation: "WRITE", resource_type: "TOPIC", resource_name: "events", permission: "DENY" };
    await grant(deny);
    expect(await call(carol, "POST", "/produce", { topic: "events", message: "two" })).toEqual(onTopic(who, "WRITE", "events"));
    await revoke(deny);
    expect((await call(carol, "POST", "/produce", { topic: "events", message: "two" })).status).toBe(200);
    await revoke({ principal: who, operation: "WRITE", resource_type: "TOPIC", resource_name: "events" });
    expect(await call(carol, "POST", "/produce", { topic: "events", message: "three" })).toEqual(onTopic(who, "WRITE", "events"));
    // Adding a binding twice or removing an absent one changes nothing (Kafka's CreateAcls/DeleteAcls).
    const read = { principal: who, operation: "READ", resource_type: "TOPIC", resource_name: "events" };
    expect(await asAdmin("POST", "/admin/acls", read)).toEqual({ status: 200, body: { status: "exists" } });
    expect(await asAdmin("DELETE", "/admin/acls", { ...read, operation: "WRITE" })).toEqual({ status: 200, body: { status: "absent" } });
  });

  test("cluster routes and every admin route need the cluster permissions; a bad binding is 400", async () => {
    const cluster = (operation: string) => forbidden(who, operation, "CLUSTER", "kafka-cluster", "the cluster");
    expect(await call(carol, "GET", "/admin/users")).toEqual(cluster("DESCRIBE"));
    expect(await call(carol, "GET", "/admin/acls")).toEqual(cluster("DESCRIBE"));
    expect(await call(carol, "GET", "/admin/tokens")).toEqual(cluster("DESCRIBE"));
    expect(await call(carol, "GET", "/cluster")).toEqual(cluster("DESCRIBE"));
    expect(await call(carol, "GET", "/metrics")).toEqual(cluster("DESCRIBE"));
    expect(await call(carol, "POST", "/admin/users", { name: "mallory" })).toEqual(cluster("ALTER"));
    expect(await call(carol, "DELETE", "/admin/users/carol")).toEqual(cluster("ALTER"));
    expect(await call(carol, "POST", "/admin/users/carol/tokens", {})).toEqual(cluster("ALTER"));
    expect(await call(carol, "POST", "/admin/acls", { principal: who, operation: "ALL", resource_type: "CLUSTER", resource_name: "kafka-cluster" })).toEqual(
      cluster("ALTER"),
    );
    expect(await asAdmin("POST", "/admin/acls", { principal: who, operation: "READ", resource_type: "CLUSTER", resource_name: "kafka-cluster" })).toEqual({
      status: 400,
      body: {
        error: "INVALID_REQUEST",
        message: "operation READ does not apply to CLUSTER; use one of ALL, CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE",
      },
    });
    // Once granted DESCRIBE on the cluster, the user reads the bindings, still cannot change them.
    await grant({ principal: who, operation: "DESCRIBE", resource_type: "CLUSTER", resource_name: "kafka-cluster" });
    expect((await call(carol, "GET", "/admin/acls")).status).toBe(200);
    expect(await call(carol, "DELETE", "/admin/users/carol")).toEqual(cluster("ALTER"));
  });

  test("group routes: DESCRIBE to see a group, READ to join or commit, DELETE to delete its offsets; /groups is filtered", async () => {
    const group = (operation: string, name: string) => forbidden(who, operation, "GROUP", name, `group ${JSON.stringify(name)}`);
    expect(await call(carol, "GET", "/groups/audit")).toEqual(group("DESCRIBE", "audit"));
    expect(await call(carol, "GET", "/groups/audit/offsets")).toEqual(group("DESCRIBE", "audit"));
    expect(await call(carol, "POST", "/groups/audit/members", { topics: ["events"] })).toEqual(group("READ", "audit"));
    expect(await call(carol, "POST", "/groups/audit/members/m-1/heartbeat", { generation: 1 })).toEqual(group("READ", "audit"));
    expect(await call(carol, "DELETE", "/groups/audit/members/m-1")).toEqual(group("READ", "audit"));
    expect(await call(carol, "DELETE", "/groups/billing/offsets")).toEqual(group("DELETE", "billing"));
    // billing has committed offsets (above) and READ for carol; READ implies DESCRIBE.
    const all = await asAdmin("GET", "/groups");
    expect(all.body.groups.map((g: { group: string }) => g.group)).toEqual(["billing"]);
    expect((await call(carol, "GET", "/groups")).body.groups.map((g: { group: string }) => g.group)).toEqual(["billing"]);
    expect((await call(carol, "GET", "/groups/billing/offsets")).status).toBe(200);
    const dave = (await asAdmin("POST", "/admin/users/dave/tokens", {})).body.token as string;
    expect(await call(dave, "GET", "/groups")).toEqual({ status: 200, body: { groups: [], unreachable_brokers: [] } });
  });

  test("a live tail needs READ; deleting a user that does not exist is 404", async () => {
    expect(await call(carol, "GET", "/topics/team-a/partitions/0/records/stream")).toEqual(onTopic(who, "READ", "team-a"));
    expect(await asAdmin("DELETE", "/admin/users/nobody")).toEqual({ status: 404, body: { error: "USER_NOT_FOUND", message: 'user "nobody" does not exist' } });
  });

  test("users, tokens and ACLs survive a restart (they are in the persisted metadata)", async () => {
    const before = (await asAdmin("GET", "/admin/acls")).body.acls;
    expect(before.length).toBeGreaterThan(3);
    await broker.close();
    open();
    expect((await asAdmin("GET", "/admin/acls")).body.acls).toEqual(before);
    expect(await call(carol, "GET", "/consume?topic=events&partition=0&offset=0")).toEqual({ status: 200, body: { offset: 0, message: "one" } });
    expect(await call(carol, "POST", "/produce", { topic: "events", message: "x" })).toEqual(onTopic(who, "WRITE", "events"));
  });
});
