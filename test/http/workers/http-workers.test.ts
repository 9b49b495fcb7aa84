import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Server } from "bun";
import { EarlyListener } from "../../../src/http/server.ts";
import { HttpWorkers } from "../../../src/http/workers/http-workers.ts";
import { untilTrue } from "../../helpers/until.ts";
import { type AppFixture, appFixture } from "../fixture.ts";

/**
 * The pool in process, as BrokerNode runs it: the owner binds the port shared, two
 * workers join it, the owner leaves it to them; answers over the socket equal the app's.
 */
let f: AppFixture;
let server: Server<unknown>;
let workers: HttpWorkers;
let base = "";

beforeAll(async () => {
  f = await appFixture();
  const early = new EarlyListener({ host: "127.0.0.1", port: 0, shared: true });
  const port = early.port;
  server = early.serve(f.app);
  workers = await HttpWorkers.start(f.app, f.broker, { count: 2, host: "127.0.0.1", port, logError: () => {} });
  void server.stop(false);
  base = `http://127.0.0.1:${port}`;
  expect((await f.call("POST", "/create-topic", { topic: "demo", partitions: 1 })).status).toBe(200);
});

afterAll(async () => {
  await workers.close();
  await server.stop(true);
  await f.close();
});

async function overSocket(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, { method, body, keepalive: false, headers: { connection: "close" } });
  return { status: res.status, text: await res.text() };
}

test("plain and passed-on requests answer as the app does, on both workers", async () => {
  for (let i = 0; i < 10; i++) {
    expect(await overSocket("POST", "/produce", JSON.stringify({ topic: "demo", message: `m${i}` }))).toEqual({ status: 200, text: `{"offset":${i},"partition":0}` });
    expect(await overSocket("GET", `/consume?topic=demo&partition=0&offset=${i}`)).toEqual({ status: 200, text: `{"offset":${i},"message":"m${i}"}` });
  }
  for (const [method, path, body] of [
    ["GET", "/consume?topic=demo&partition=0&offset=10", undefined],
    ["GET", "/consume?topic=demo&partition=0&offset=0&max=2", undefined],
    ["GET", "/consume?topic=nope&partition=0&offset=0", undefined],
    ["GET", "/topics/demo/partitions/0/records?offset=8", undefined],
    ["POST", "/produce", JSON.stringify({ topic: "demo", message: "m", partition: 3 })],
    ["POST", "/produce", "{"],
    ["GET", "/list-topics", undefined],
    ["PUT", "/consume", undefined],
  ] as const) {
    const app = await f.request(method, path, body);
    const expected = { status: app.status, text: (await app.text()).replace(/"timestamp":\d+/g, "") };
    for (let i = 0; i < 4; i++) {
      const got = await overSocket(method, path, body);
      expect({ path, status: got.status, text: got.text.replace(/"timestamp":\d+/g, "") }).toEqual({ path, ...expected });
    }
  }
  // Each worker reports its count within a quarter of a second.
  await Bun.sleep(600);
  expect(workers.served[0]).toBe(0);
  expect(workers.served[1]).toBeGreaterThan(0);
  expect(workers.served[2]).toBeGreaterThan(0);
  expect(workers.served[1] + workers.served[2]).toBe(20 + 8 * 4);
});

test("a worker that stops is started again on the shared port, and every connection is still answered", async () => {
  // The pool's own list, reached into: a worker ending on its own (an error nothing
  // caught, as half-sent uploads once caused) is what terminate() stands in for.
  const pool = workers as unknown as { workers: Worker[] };
  const gone = pool.workers[0];
  gone.terminate();
  await untilTrue("the pool has two workers again, without the one that stopped", async () => pool.workers.length === 2 && !pool.workers.includes(gone), 10_000);
  await untilTrue("the new worker listens", async () => (await overSocket("GET", "/health")).status === 200, 10_000);
  for (let i = 0; i < 20; i++) expect((await overSocket("GET", "/consume?topic=demo&partition=0&offset=0")).text).toBe('{"offset":0,"message":"m0"}');
});
