import { afterAll, describe, expect, test } from "bun:test";
import { CLUSTER_SECRET_HEADER } from "../../src/cluster/internal-auth.ts";
import { FROM_HEADER, mayHaveArrived, PeerClient } from "../../src/cluster/peer-client.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { freePort } from "../helpers/ports.ts";

const seen: Array<{ path: string; secret: string | null; from: string | null; body: string }> = [];
const hung: Array<() => void> = [];

// A real peer: answers some paths, hangs on one, streams slowly on another.
const server = Bun.serve({
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    seen.push({
      path: url.pathname + url.search,
      secret: req.headers.get(CLUSTER_SECRET_HEADER),
      from: req.headers.get(FROM_HEADER),
      body: await req.text(),
    });
    switch (url.pathname) {
      case "/ok":
        return Response.json({ hello: "world" });
      case "/error":
        return Response.json({ error: "TOPIC_EXISTS", message: "topic demo exists with 3 partitions" }, { status: 409 });
      case "/refuse":
        return Response.json({ error: "UNAUTHORIZED", message: "wrong cluster secret" }, { status: 401 });
      case "/not-json":
        return new Response("<html>", { status: 502 });
      case "/hang":
        return new Promise<Response>((resolve) => hung.push(() => resolve(new Response("late"))));
      case "/slow-stream": {
        // Headers at once, then three chunks spaced wider than the client's timeout.
        const stream = new ReadableStream<Uint8Array>({
          async start(controller) {
            for (const part of ["a", "b", "c"]) {
              controller.enqueue(new TextEncoder().encode(part));
              await Bun.sleep(150);
            }
            controller.close();
          },
        });
        return new Response(stream, { headers: { "content-type": "text/event-stream" } });
      }
      default:
        return new Response("no", { status: 404 });
    }
  },
});
const address = `localhost:${server.port}`;

afterAll(() => {
  for (const release of hung) release();
  server.stop(true);
});

describe("PeerClient", () => {
  const client = new PeerClient({ secret: "shh", selfId: 7, timeoutMs: 100 });

  test("json() sends the secret and who calls, and parses the answer", async () => {
    const answer = await client.json<{ hello: string }>(address, {
      method: "POST",
      path: "/ok?x=1",
      body: '{"a":1}',
    });
    expect(answer).toEqual({ hello: "world" });
    const request = seen.find((s) => s.path === "/ok?x=1");
    expect(request).toEqual({ path: "/ok?x=1", secret: "shh", from: "7", body: '{"a":1}' });
  });

  test("a peer's error answer comes back as the same StreamNestError", async () => {
    const error = await client.json(address, { path: "/error" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamNestError);
    expect((error as StreamNestError).code).toBe("TOPIC_EXISTS");
    expect((error as StreamNestError).message).toBe("topic demo exists with 3 partitions");
    expect((error as StreamNestError).status).toBe(409);
  });

  test("a refused secret is a cluster fault (503), not the caller's 401", async () => {
    const error = (await client.json(address, { path: "/refuse" }).catch((e: unknown) => e)) as StreamNestError;
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toContain("refused this broker's cluster secret");
  });

  test("an answer that is not a StreamNest error is INTERNAL_ERROR naming the peer", async () => {
    const error = (await client.json(address, { path: "/not-json" }).catch((e: unknown) => e)) as StreamNestError;
    expect(error.code).toBe("INTERNAL_ERROR");
    expect(error.message).toBe(`${address} answered 502: <html>`);
  });

  test("a closed port is LEADER_UNAVAILABLE naming the address", async () => {
    const closed = `localhost:${await freePort()}`;
    const error = (await client.json(closed, { path: "/ok", label: "broker 3 (x)" }).catch((e: unknown) => e)) as StreamNestError;
    expect(error).toBeInstanceOf(StreamNestError);
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.status).toBe(503);
    expect(error.message).toStartWith("broker 3 (x) cannot be reached");
    expect(error.details).toEqual({ broker: closed });
  });

  test("a closed port means the call never arrived; a connection that breaks after the request may have", async () => {
    const closed = `localhost:${await freePort()}`;
    const refused = await client.json(closed, { path: "/ok" }).catch((e: unknown) => e);
    expect(mayHaveArrived(refused)).toBe(false);
    // A peer that reads the request and dies before answering (kill -9 mid-call).
    const dying = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data: (socket) => socket.terminate() },
    });
    try {
      const error = (await client
        .json(`127.0.0.1:${dying.port}`, { method: "POST", path: "/x", body: "{}", label: "broker 2 (y)" })
        .catch((e: unknown) => e)) as StreamNestError;
      expect(error.code).toBe("LEADER_UNAVAILABLE");
      expect(error.message).toStartWith("broker 2 (y) cannot be reached (");
      expect(error.details).toEqual({ broker: `127.0.0.1:${dying.port}`, interrupted: true });
      expect(mayHaveArrived(error)).toBe(true);
    } finally {
      dying.stop(true);
    }
    const timedOut = await client.json(address, { path: "/hang" }).catch((e: unknown) => e);
    expect(mayHaveArrived(timedOut)).toBe(true);
  });

  test("a peer that never answers is LEADER_UNAVAILABLE after the timeout", async () => {
    const error = (await client.json(address, { path: "/hang" }).catch((e: unknown) => e)) as StreamNestError;
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toBe(`${address} did not answer within 100 ms`);
    const raw = (await client.send(address, { path: "/hang" }).catch((e: unknown) => e)) as StreamNestError;
    expect(raw.code).toBe("LEADER_UNAVAILABLE");
  });

  test("send() bounds only the wait for headers: a stream may outlast the timeout", async () => {
    const response = await client.send(address, { path: "/slow-stream" });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(await response.text()).toBe("abc");
  });

  test("the caller's abort ends the call without calling it a peer failure", async () => {
    const abort = new AbortController();
    const pending = client.send(address, { path: "/hang", signal: abort.signal, timeoutMs: 5_000 });
    abort.abort(new Error("client went away"));
    const error = await pending.catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(StreamNestError);
  });
});
