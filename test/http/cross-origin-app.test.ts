import { afterEach, beforeEach, expect, test } from "bun:test";
import { appFixture, type AppFixture } from "./fixture.ts";

/**
 * The app refuses a browser's cross-origin request that may change something before
 * any route reads its body (cross-origin.ts): the incident was a page of another site
 * posting an HTML form (enctype=text/plain, a body that is valid JSON, no preflight) to
 * a local broker without --auth, which created topics and wrote messages.
 */

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
});
afterEach(async () => {
  await f.close();
});

const FORM = { "content-type": "text/plain", origin: "http://evil.example", "sec-fetch-site": "cross-site" };

test("a text/plain form from another site is refused 403 on every state-changing route, and nothing is written", async () => {
  expect((await f.call("POST", "/create-topic", { topic: "orders", partitions: 1 })).status).toBe(200);
  const before = f.snapshot();
  for (const [method, path, body] of [
    ["POST", "/create-topic", '{"topic":"pwned","partitions":1,"x":"="}'],
    ["POST", "/produce", '{"topic":"orders","message":"forged="}'],
    ["POST", "/register-schema", '{"topic":"orders","schema":{"type":"object"},"x":"="}'],
    ["POST", "/groups/g/offsets", '{"topic":"orders","partition":0,"offset":5,"x":"="}'],
    ["DELETE", "/topics/orders", undefined],
  ] as const) {
    const res = await f.request(method, path, body, FORM);
    expect({ path, status: res.status, body: await res.json() }).toEqual({
      path,
      status: 403,
      body: { error: "FORBIDDEN", message: "cross-origin request refused: the browser says it comes from another site (Sec-Fetch-Site: cross-site)" },
    });
  }
  expect(f.snapshot()).toEqual(before);
  expect((await f.call("GET", "/list-topics")).body).toEqual({ topics: ["orders"] });
  expect((await f.call("GET", "/consume?topic=orders&partition=0&offset=0")).status).toBe(204);
});

test("an Origin of another host, without Sec-Fetch-Site (an older browser), is refused naming the Origin; Origin: null too", async () => {
  const res = await f.request("POST", "/create-topic", '{"topic":"pwned","partitions":1}', { "content-type": "text/plain", origin: "http://evil.example" });
  expect(res.status).toBe(403);
  expect(await res.json()).toEqual({ error: "FORBIDDEN", message: "cross-origin request refused: Origin http://evil.example is not this broker's origin (http://localhost)" });
  const nul = await f.request("POST", "/produce", { topic: "t", message: "m" }, { origin: "null" });
  expect(nul.status).toBe(403);
  expect(await nul.json()).toEqual({ error: "FORBIDDEN", message: "cross-origin request refused: Origin null is not this broker's origin (http://localhost)" });
  expect((await f.call("GET", "/list-topics")).body).toEqual({ topics: [] });
});

test("a short Host the app routes again (short-host.ts) is refused all the same", async () => {
  const res = await f.app.handle(
    new Request("http://x/create-topic", { method: "POST", headers: { host: "x", origin: "http://evil.example", "content-type": "text/plain" }, body: '{"topic":"pwned","partitions":1}' }),
  );
  expect(res.status).toBe(403);
  expect(await res.json()).toEqual({ error: "FORBIDDEN", message: "cross-origin request refused: Origin http://evil.example is not this broker's origin (http://x)" });
  expect((await f.call("GET", "/list-topics")).body).toEqual({ topics: [] });
});

test("the console's own requests (same origin) and clients that send no Origin (curl) are served", async () => {
  const same = await f.request("POST", "/create-topic", { topic: "a", partitions: 1 }, { origin: "http://localhost", "sec-fetch-site": "same-origin" });
  expect({ status: same.status, body: await same.json() }).toEqual({ status: 200, body: { status: "created" } });
  const curl = await f.request("POST", "/create-topic", '{"topic":"b","partitions":1}', { "content-type": "text/plain" });
  expect({ status: curl.status, body: await curl.json() }).toEqual({ status: 200, body: { status: "created" } });
  const read = await f.request("GET", "/list-topics", undefined, { origin: "http://evil.example", "sec-fetch-site": "cross-site" });
  expect({ status: read.status, body: await read.json() }).toEqual({ status: 200, body: { topics: ["a", "b"] } });
});
