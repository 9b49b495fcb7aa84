import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Server } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessControl } from "../../src/auth/access-control.ts";
import { ADMIN_PRINCIPAL } from "../../src/auth/admin-token.ts";
import { issueApiToken } from "../../src/auth/api-token.ts";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { createApp } from "../../src/http/app.ts";
import { ownerFastPath, type ServeFetch } from "../../src/http/fast-path.ts";
import { type AppFixture, appFixture } from "./fixture.ts";

/**
 * The broker thread's fast path answers exactly as the app does (status, content type,
 * challenge, body), whether it answers a request itself or hands it to the app: each
 * request is sent once through the fast path and once through the app, and the answers
 * compared. Produces are compared by shape (their offsets differ by one), and both
 * appends are then read back.
 */
let f: AppFixture;
let fast: ServeFetch;
const NO_SERVER = undefined as unknown as Server<unknown>;

beforeAll(async () => {
  f = await appFixture();
  fast = ownerFastPath(f.app, f.broker);
  expect((await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 })).status).toBe(200);
});

afterAll(() => f.close());

interface Seen {
  status: number;
  type: string | null;
  challenge: string | null;
  text: string;
}

async function seen(res: Response): Promise<Seen> {
  return { status: res.status, type: res.headers.get("content-type"), challenge: res.headers.get("www-authenticate"), text: await res.text() };
}

function request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Request {
  const all = body === undefined ? headers : { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers };
  return new Request(`http://localhost${path}`, { method, headers: all, body });
}

async function both(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<[Seen, Seen]> {
  const viaFast = await seen(await fast(request(method, path, body, headers), NO_SERVER));
  const viaApp = await seen(await f.app.handle(request(method, path, body, headers)));
  return [viaFast, viaApp];
}

test("reads, plain or not, answer as the route answers them", async () => {
  for (let i = 0; i < 3; i++) expect((await f.call("POST", "/produce", { topic: "demo", partition: 0, message: `m${i}` })).status).toBe(200);
  for (const path of [
    "/consume?topic=demo&partition=0&offset=1",
    "/consume?offset=2&partition=0&topic=demo",
    "/consume?topic=demo&partition=0&offset=3",
    "/consume?topic=demo&partition=0&offset=99",
    "/consume?topic=demo&partition=7&offset=0",
    "/consume?topic=nope&partition=0&offset=0",
    "/consume?topic=demo&partition=0&offset=01",
    "/consume?topic=demo&partition=0&offset=-1",
    "/consume?topic=demo&partition=0",
    "/consume?topic=demo&partition=0&offset=0&max=2",
    "/consume?topic=demo&partition=0&offset=0&offset=1",
    "/consume?topic=__consumer_offsets&partition=0&offset=0",
    "/consume",
  ]) {
    const [viaFast, viaApp] = await both("GET", path);
    expect({ path, ...viaFast }).toEqual({ path, ...viaApp });
  }
  const [plain] = await both("GET", "/consume?topic=demo&partition=0&offset=1");
  expect(plain).toEqual({ status: 200, type: "application/json", challenge: null, text: '{"offset":1,"message":"m1"}' });
});

test("single-message produces answer as the route's; anything else is the app's answer", async () => {
  const accepted = [
    { topic: "demo", partition: 1, message: "hello" },
    { topic: "demo", message: "keyed", key: "k" },
    { topic: "demo", message: "héllo ✓", partition: 0 },
    { topic: "demo", message: "acked by all", partition: 1, acks: "all" },
    { topic: "demo", message: "acked by the leader", partition: 1, acks: "1" },
    { topic: "demo", message: "acks as Kafka numbers them", partition: 0, acks: -1 },
    { topic: "demo", message: "acks=1 as a number", key: "k", acks: 1 },
  ];
  for (const body of accepted) {
    const [viaFast, viaApp] = await both("POST", "/produce", JSON.stringify(body));
    expect(viaFast.status).toBe(200);
    expect({ ...viaFast, text: "" }).toEqual({ ...viaApp, text: "" });
    const a = JSON.parse(viaFast.text) as { offset: number; partition: number };
    const b = JSON.parse(viaApp.text) as { offset: number; partition: number };
    expect(b).toEqual({ offset: a.offset + 1, partition: a.partition });
    for (const offset of [a.offset, b.offset]) {
      const read = await f.call("GET", `/consume?topic=demo&partition=${a.partition}&offset=${offset}`);
      expect(read.body).toEqual({ offset, message: body.message });
    }
  }
  for (const body of [
    JSON.stringify({ topic: "nope", message: "m" }),
    JSON.stringify({ topic: "demo", partition: 9, message: "m" }),
    JSON.stringify({ topic: "demo", message: "m", acks: "2" }),
    JSON.stringify({ topic: "demo", message: "m", acks: "0" }),
    JSON.stringify({ topic: "demo", message: "m", partition: -1 }),
    JSON.stringify({ topic: "demo", message: "m", key: 7 }),
    JSON.stringify({ topic: "__consumer_offsets", message: "m" }),
    JSON.stringify({ topic: "demo", message: "\ud800" }),
    JSON.stringify({ topic: "demo", message: 5 }),
    JSON.stringify({ topic: "demo", messages: [] }),
    JSON.stringify({ topic: "demo", message: "m", messages: [{ message: "n" }] }),
    '{"topic":"demo","message":"m"',
    "[1]",
  ]) {
    const [viaFast, viaApp] = await both("POST", "/produce", body);
    expect({ body, ...viaFast }).toEqual({ body, ...viaApp });
  }
  // Not UTF-8: the app's parser names the byte.
  const latin1 = new Uint8Array([...Buffer.from('{"topic":"demo","message":"'), 0xe9, ...Buffer.from('"}')]);
  const viaFast = await seen(await fast(new Request("http://localhost/produce", { method: "POST", headers: { "content-length": String(latin1.length) }, body: latin1 }), NO_SERVER));
  const viaApp = await seen(await f.app.handle(new Request("http://localhost/produce", { method: "POST", body: latin1 })));
  expect(viaFast).toEqual(viaApp);
  expect(viaFast.status).toBe(400);
});

test("a batch through the fast path is the app's: every message written, answered per message", async () => {
  const messages = Array.from({ length: 30 }, (_, i) => ({ message: `batch-${i}-${"x".repeat(40)}`, partition: 1 }));
  const res = await fast(request("POST", "/produce", JSON.stringify({ topic: "demo", messages })), NO_SERVER);
  expect(res.status).toBe(200);
  const { results } = (await res.json()) as { results: { partition: number; offset: number }[] };
  expect(results.length).toBe(30);
  const read = await f.call("GET", `/consume?topic=demo&partition=1&offset=${results[29].offset}`);
  expect(read.body).toEqual({ offset: results[29].offset, message: messages[29].message });
});

test("with --auth=token, refusals and the administrator's calls answer as the guard does", async () => {
  const issued = issueApiToken(ADMIN_PRINCIPAL, { now: Date.now() });
  const access = new AccessControl({ mode: "token", bootstrap: issued.record, security: () => f.broker.security() });
  const app = createApp(f.broker, { logError: () => {}, access });
  const guardedFast = ownerFastPath(app, f.broker, { access });
  const send = async (via: "fast" | "app", method: string, path: string, body: string | undefined, token: string | null): Promise<Seen> => {
    const r = request(method, path, body, token === null ? {} : { authorization: `Bearer ${token}` });
    return seen(await (via === "fast" ? guardedFast(r, NO_SERVER) : app.handle(r)));
  };
  for (const token of [null, "not-a-token", issued.token]) {
    const read = await send("fast", "GET", "/consume?topic=demo&partition=0&offset=0", undefined, token);
    expect(read).toEqual(await send("app", "GET", "/consume?topic=demo&partition=0&offset=0", undefined, token));
    expect(read.status).toBe(token === issued.token ? 200 : 401);
    const write = await send("fast", "POST", "/produce", JSON.stringify({ topic: "nope", message: "m" }), token);
    expect(write).toEqual(await send("app", "POST", "/produce", JSON.stringify({ topic: "nope", message: "m" }), token));
    expect(write.status).toBe(token === issued.token ? 404 : 401);
  }
});

test("a plain produce's acks reaches the core: acks=all is refused below min ISR, acks=1 is the leader's append", async () => {
  const root = mkdtempSync(join(tmpdir(), "streamnest-fast-acks-"));
  const self = { id: 1, address: "one:1" };
  // A replicated partition led here, its follower (broker 2) absent: as in test/broker/produce-acks.test.ts.
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: join(root, "b1"), leaderWaitMs: 0 }), {
    directory: { self, brokers: () => [self, { id: 2, address: "two:2" }] },
  });
  try {
    expect(await broker.createTopic("acked", 1, { replicationFactor: 2 })).toBe("created");
    const meta = broker.metadata.topic("acked")!;
    broker.metadata.apply({
      type: "alter-partition",
      topic: "acked",
      topicId: meta.id,
      partition: 0,
      leader: 1,
      isr: [1],
      leaderEpoch: 0,
      partitionEpoch: 1,
      expectedLeaderEpoch: 0,
      expectedPartitionEpoch: 0,
    });
    broker.replicaHost().replicaLog("acked", meta.id, 0)!.assignEpoch(0, 0);
    const front = ownerFastPath(createApp(broker), broker);
    const produce = async (body: object): Promise<{ status: number; body: unknown }> => {
      const text = JSON.stringify({ topic: "acked", partition: 0, message: "m", ...body });
      const res = await front(new Request("http://localhost/produce", { method: "POST", headers: { "content-length": String(Buffer.byteLength(text)) }, body: text }), NO_SERVER);
      return { status: res.status, body: await res.json() };
    };
    const refused = {
      status: 503,
      body: {
        error: "NOT_ENOUGH_REPLICAS",
        message: 'partition 0 of topic "acked" has 1 in-sync replica (1); acks=all needs 2. Nothing was written',
        details: expect.anything(),
      },
    };
    expect(await produce({})).toEqual(refused);
    expect(await produce({ acks: "all" })).toEqual(refused);
    expect(await produce({ acks: -1 })).toEqual(refused);
    expect(await produce({ acks: "1" })).toEqual({ status: 200, body: { offset: 0, partition: 0 } });
    expect(await produce({ acks: 1 })).toEqual({ status: 200, body: { offset: 1, partition: 0 } });
  } finally {
    await broker.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test("a produce with a Content-Encoding is the app's: 415 naming it, nothing written", async () => {
  const body = JSON.stringify({ topic: "demo", partition: 0, message: "zipped?" });
  const before = (await f.call("GET", "/topics/demo")).body as { partitions: { end_offset: number }[] };
  const res = await fast(new Request("http://localhost/produce", { method: "POST", headers: { "content-length": String(body.length), "content-encoding": "gzip" }, body }), NO_SERVER);
  expect([res.status, await res.json()]).toEqual([
    415,
    { error: "UNSUPPORTED_MEDIA_TYPE", message: 'request bodies are read as sent: Content-Encoding "gzip" is not supported; send the body uncompressed' },
  ]);
  const after = (await f.call("GET", "/topics/demo")).body as { partitions: { end_offset: number }[] };
  expect(after.partitions[0].end_offset).toBe(before.partitions[0].end_offset);
});
