import { afterEach, expect, test } from "bun:test";
import { EarlyListener, listen } from "../../src/http/server.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { appFixture, type AppFixture } from "./fixture.ts";

/** The socket side of the HTTP adapter: a port given, and a port picked before the app exists (--port=0). */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fixture(): Promise<AppFixture> {
  const f = await appFixture();
  cleanups.push(() => f.close());
  return f;
}

test("port 0: a request that came early is answered by the fetch given to serve() (the replication channel's door), not by the app alone", async () => {
  const early = new EarlyListener({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => early.close());
  const waiting = fetch(`http://127.0.0.1:${early.port}/door`);
  await Bun.sleep(50);
  const f = await fixture();
  early.serve(f.app, (request) => (new URL(request.url).pathname === "/door" ? new Response("the door's answer") : f.app.fetch(request)));
  const res = await waiting;
  expect([res.status, await res.text()]).toEqual([200, "the door's answer"]);
});

test("port 0: the port is known before the app exists; a request that comes early waits for the app, then is served", async () => {
  const early = new EarlyListener({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => early.close());
  expect(early.port).toBeGreaterThan(0);
  let answered = false;
  const waiting = fetch(`http://127.0.0.1:${early.port}/health`).then((res) => {
    answered = true;
    return res;
  });
  await Bun.sleep(100);
  expect(answered).toBe(false);

  const f = await fixture();
  const server = early.serve(f.app);
  expect(server.port).toBe(early.port);
  expect(f.app.server).toBe(server);
  const res = await waiting;
  expect(res.status).toBe(200);
  expect(((await res.json()) as { status: string }).status).toBe("ok");
  // A long poll lifts the idle timeout through the server the app now knows.
  const poll = await fetch(`http://127.0.0.1:${early.port}/list-topics`);
  expect(await poll.json()).toEqual({ topics: [] });
});

test("a broker that fails to start gives the early port up; requests that waited get 503", async () => {
  const early = new EarlyListener({ host: "127.0.0.1", port: 0 });
  const waiting = fetch(`http://127.0.0.1:${early.port}/health`);
  await Bun.sleep(50);
  await early.close();
  expect((await waiting).status).toBe(503);
  // The port is free again: a listener can take it.
  const again = new EarlyListener({ host: "127.0.0.1", port: early.port });
  await again.close();
});

test("a port in use is refused naming it, for a given port and for an early listener", async () => {
  const early = new EarlyListener({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => early.close());
  const taken = early.port;
  const f = await fixture();
  for (const bind of [() => listen(f.app, { host: "127.0.0.1", port: taken }), () => new EarlyListener({ host: "127.0.0.1", port: taken })]) {
    let error: unknown;
    try {
      bind();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StreamNestError);
    expect((error as StreamNestError).message).toBe(`port ${taken} is already in use (on 127.0.0.1)`);
  }
});
