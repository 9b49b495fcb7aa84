import { afterAll, beforeAll, expect, test } from "bun:test";
import { AccessControl } from "../../../src/auth/access-control.ts";
import { ADMIN_PRINCIPAL } from "../../../src/auth/admin-token.ts";
import { issueApiToken } from "../../../src/auth/api-token.ts";
import { createApp, type StreamNestApp } from "../../../src/http/app.ts";
import { RequestCounter } from "../../../src/http/respond.ts";
import { OwnerCalls } from "../../../src/http/workers/owner-calls.ts";
import { type AppFixture, appFixture } from "../fixture.ts";

/**
 * With --auth=token a worker's plain calls are refused, or served, exactly as the routes
 * refuse or serve them (same status, body and challenge): 401 without a valid token, 403
 * for a principal without the ACL, and nothing written by a refusal. Two brokers' guards
 * are built over the same core: one bootstrapped with an administrator's token, one with
 * a token of a user who has no ACL at all.
 */
let f: AppFixture;
const admin = issueApiToken(ADMIN_PRINCIPAL, { now: Date.now() });
const alice = issueApiToken("User:alice", { now: Date.now() });
const guarded: { app: StreamNestApp; calls: OwnerCalls; token: string }[] = [];
const utf8 = (text: string) => new TextEncoder().encode(text);

beforeAll(async () => {
  f = await appFixture();
  for (const issued of [admin, alice]) {
    const access = new AccessControl({ mode: "token", bootstrap: issued.record, security: () => f.broker.security() });
    const app = createApp(f.broker, { logError: () => {}, access });
    guarded.push({ app, calls: new OwnerCalls(f.broker, new RequestCounter(f.broker.metrics), () => {}, access), token: issued.token });
  }
  expect((await f.call("POST", "/create-topic", { topic: "demo", partitions: 1 })).status).toBe(200);
});

afterAll(() => f.close());

async function route(app: StreamNestApp, method: string, path: string, authorization: string | null, body?: unknown) {
  const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
  if (authorization !== null) headers.authorization = authorization;
  const res = await app.handle(new Request(`http://localhost${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
  return { s: res.status, challenge: res.headers.get("www-authenticate"), text: await res.text() };
}

function worker(answer: { s: number; o?: number; p?: number; m?: string | null; b?: string; w?: string }) {
  const text = answer.s === 204 ? "" : answer.s !== 200 ? (answer.b ?? "") : answer.m !== undefined ? `{"offset":${answer.o},"message":${JSON.stringify(answer.m)}}` : `{"offset":${answer.o},"partition":${answer.p}}`;
  return { s: answer.s, challenge: answer.w ?? null, text };
}

test("refusals (no token, not Bearer, unknown, no ACL) and the administrator's calls answer as the routes do", async () => {
  const [withAdmin, withAlice] = guarded;
  const cases: [typeof withAdmin, string | null, number][] = [
    [withAdmin, null, 401],
    [withAdmin, admin.token, 401],
    [withAdmin, "Bearer nonsense", 401],
    [withAdmin, `Bearer ${alice.token}`, 401],
    [withAlice, `Bearer ${alice.token}`, 403],
    [withAdmin, `Bearer ${admin.token}`, 200],
  ];
  let next = 0;
  for (const [side, authorization, status] of cases) {
    const produced = worker(await side.calls.answer({ i: 1, a: authorization, t: "demo", p: 0, k: null, v: utf8(`m${next}`) }));
    expect(produced.s).toBe(status);
    const expectedOffset = status === 200 ? next++ : undefined;
    if (expectedOffset !== undefined) {
      // The route's own produce appends the next record: compare its answer shape instead of the offset.
      expect(produced.text).toBe(`{"offset":${expectedOffset},"partition":0}`);
      expect(await route(side.app, "POST", "/produce", authorization, { topic: "demo", partition: 0, message: `m${next}` })).toEqual({
        s: 200,
        challenge: null,
        text: `{"offset":${next++},"partition":0}`,
      });
    } else expect(produced).toEqual(await route(side.app, "POST", "/produce", authorization, { topic: "demo", partition: 0, message: "x" }));
    const read = worker(await side.calls.answer({ i: 2, a: authorization, t: "demo", p: 0, o: 0 }));
    expect(read.s).toBe(status);
    expect(read).toEqual(await route(side.app, "GET", "/consume?topic=demo&partition=0&offset=0", authorization));
  }
  // Only the administrator's two records were written: every refusal changed nothing.
  expect((await f.call("GET", "/consume?topic=demo&partition=0&offset=2")).status).toBe(204);
  expect((await f.call("GET", "/consume?topic=demo&partition=0&offset=1")).body).toEqual({ offset: 1, message: "m1" });
});

test("a token served many times is refused on the next call once its permission, its token or its user is gone", async () => {
  const erin = issueApiToken("User:erin", { now: Date.now() });
  const write = { principal: "User:erin", permission: "ALLOW", operation: "WRITE", resourceType: "TOPIC", patternType: "LITERAL", resourceName: "demo" } as const;
  expect(await f.broker.changeSecurity({ type: "add-user", name: "erin" })).toBe(true);
  expect(await f.broker.changeSecurity({ type: "add-token", token: erin.record })).toBe(true);
  expect(await f.broker.changeSecurity({ type: "add-acl", binding: write })).toBe(true);
  const calls = (guarded[0] as { calls: OwnerCalls }).calls;
  const produce = async (token: string) => worker(await calls.answer({ i: 1, a: `Bearer ${token}`, t: "demo", p: 0, k: null, v: utf8("e") }));
  for (let i = 0; i < 5; i++) expect((await produce(erin.token)).s).toBe(200);
  expect(await f.broker.changeSecurity({ type: "remove-acl", binding: write })).toBe(true);
  expect(await produce(erin.token)).toEqual({
    s: 403,
    challenge: null,
    text: JSON.stringify({
      error: "FORBIDDEN",
      message: 'User:erin lacks WRITE on topic "demo"',
      details: { principal: "User:erin", operation: "WRITE", resource_type: "TOPIC", resource_name: "demo" },
    }),
  });
  expect(await f.broker.changeSecurity({ type: "add-acl", binding: write })).toBe(true);
  expect((await produce(erin.token)).s).toBe(200);
  const invalid = { s: 401, challenge: 'Bearer realm="streamnest"', text: JSON.stringify({ error: "UNAUTHORIZED", message: "invalid API token" }) };
  expect(await f.broker.changeSecurity({ type: "revoke-token", id: erin.record.id })).toBe(true);
  expect(await produce(erin.token)).toEqual(invalid);

  const again = issueApiToken("User:erin", { now: Date.now() });
  expect(await f.broker.changeSecurity({ type: "add-token", token: again.record })).toBe(true);
  for (let i = 0; i < 5; i++) expect((await produce(again.token)).s).toBe(200);
  expect(await f.broker.changeSecurity({ type: "remove-user", name: "erin" })).toBe(true);
  expect(await produce(again.token)).toEqual(invalid);
});
