import { afterAll, beforeAll, expect, test } from "bun:test";
import { OwnerCalls } from "../../../src/http/workers/owner-calls.ts";
import { RequestCounter } from "../../../src/http/respond.ts";
import { type AppFixture, appFixture } from "../fixture.ts";

/** The owner's half of a worker's plain calls answers as the routes do (status, body, counts). */
let f: AppFixture;
let calls: OwnerCalls;
const logged: string[] = [];
const utf8 = (text: string) => new TextEncoder().encode(text);

beforeAll(async () => {
  f = await appFixture();
  calls = new OwnerCalls(f.broker, new RequestCounter(f.broker.metrics), (line) => logged.push(line));
  expect((await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 })).status).toBe(200);
});

afterAll(() => f.close());

/** The route's answer in the worker's terms. */
async function routeAnswer(method: string, path: string, body?: unknown): Promise<{ s: number; text: string }> {
  const res = await f.request(method, path, body);
  return { s: res.status, text: await res.text() };
}

function workerText(answer: { s: number; o?: number; p?: number; m?: string | null; b?: string }): string {
  if (answer.s === 204) return "";
  if (answer.s !== 200) return answer.b ?? "";
  return answer.m !== undefined ? `{"offset":${answer.o},"message":${JSON.stringify(answer.m)}}` : `{"offset":${answer.o},"partition":${answer.p}}`;
}

test("a produce is appended and acknowledged as POST /produce acknowledges it, refusals included", async () => {
  const produced = await calls.answer({ i: 1, a: null, t: "demo", p: 1, k: utf8("k"), v: utf8("héllo") });
  expect(produced).toEqual({ i: 1, s: 200, o: 0, p: 1 });
  expect(await routeAnswer("POST", "/produce", { topic: "demo", partition: 1, key: "k", message: "second" })).toEqual({ s: 200, text: '{"offset":1,"partition":1}' });
  for (const [call, body] of [
    [{ i: 2, a: null, t: "demo", p: 5, k: null, v: utf8("x") }, { topic: "demo", partition: 5, message: "x" }],
    [{ i: 3, a: null, t: "nope", p: -1, k: null, v: utf8("x") }, { topic: "nope", message: "x" }],
  ] as const) {
    const answer = await calls.answer(call);
    const route = await routeAnswer("POST", "/produce", body);
    expect({ s: answer.s, text: workerText(answer) }).toEqual(route);
    expect(answer.s).toBeGreaterThanOrEqual(400);
  }
  // Nothing was written by the refusals: the next offset follows the two appends.
  expect(await calls.answer({ i: 4, a: null, t: "demo", p: 1, k: null, v: utf8("third") })).toEqual({ i: 4, s: 200, o: 2, p: 1 });
});

test("a read answers as GET /consume: the record, 204 past the end, the route's errors", async () => {
  for (const [t, p, o] of [
    ["demo", 1, 0],
    ["demo", 1, 2],
    ["demo", 1, 3],
    ["demo", 1, 99],
    ["demo", 0, 0],
    ["demo", 7, 0],
    ["nope", 0, 0],
  ] as const) {
    const answer = await calls.answer({ i: 9, a: null, t, p, o });
    expect({ s: answer.s, text: workerText(answer) }).toEqual(await routeAnswer("GET", `/consume?topic=${t}&partition=${p}&offset=${o}`));
  }
  expect((await calls.answer({ i: 10, a: null, t: "demo", p: 1, o: 0 })).m).toBe("héllo");
  expect(logged).toEqual([]);
});

test("answers are counted per route and status like the routes' own", async () => {
  const text = await f.broker.metrics.text();
  const line = (status: number, method: string, route: string) =>
    Number(new RegExp(`^streamnest_http_requests_total\\{method="${method}",route="${route}",status="${status}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  // Each refusal and read above was made once through the owner and once through the route.
  expect(line(200, "POST", "/produce")).toBe(3);
  expect(line(400, "POST", "/produce")).toBe(2);
  expect(line(404, "POST", "/produce")).toBe(2);
  expect(line(200, "GET", "/consume")).toBe(5);
  expect(line(204, "GET", "/consume")).toBe(6);
  expect(line(404, "GET", "/consume")).toBe(2);
});
