import { afterAll, describe, expect, test } from "bun:test";
import { isNoAnswer, mayHaveArrived, PeerClient } from "../../src/cluster/peer-client.ts";
import { BROKER_AUTH_HEADER, FROM_HEADER } from "../../src/lib/internal-routes.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { freePort } from "../helpers/ports.ts";

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("the condition never held");
    await Bun.sleep(10);
  }
}

/** 200 kB of every byte value: more than one read of the socket. */
const BINARY_ANSWER = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256);
const seen: Array<{ path: string; auth: string | null; from: string | null; body: string }> = [];
const hung: Array<() => void> = [];
/** Streams still open at the peer, by path; a stream leaves when its client is gone. */
const openStreams = new Map<string, number>();

// A real peer: answers some paths, hangs on one, streams slowly on another.
const server = Bun.serve({
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    seen.push({
      path: url.pathname + url.search,
      auth: req.headers.get(BROKER_AUTH_HEADER),
      from: req.headers.get(FROM_HEADER),
      body: await req.text(),
    });
    switch (url.pathname) {
      case "/ok":
        return Response.json({ hello: "world" });
      case "/binary":
        return new Response(BINARY_ANSWER, { headers: { "content-type": "application/octet-stream" } });
      case "/error":
        return Response.json({ error: "TOPIC_EXISTS", message: "topic demo exists with 3 partitions" }, { status: 409 });
      case "/refuse":
        return Response.json({ error: "UNAUTHORIZED", message: "wrong cluster secret" }, { status: 401 });
      case "/not-json":
        return new Response("<html>", { status: 502 });
      case "/hang":
        return new Promise<Response>((resolve) => hung.push(() => resolve(new Response("late"))));
      case "/open-stream": {
        // Headers and one line at once, then nothing until the client leaves.
        const key = url.search;
        openStreams.set(key, (openStreams.get(key) ?? 0) + 1);
        const left = (): void => {
          openStreams.set(key, (openStreams.get(key) ?? 0) - 1);
        };
        req.signal.addEventListener("abort", left, { once: true });
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("started\n"));
          },
        });
        return new Response(stream, { headers: { "content-type": "application/x-ndjson" } });
      }
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
  // Transport behaviour, unsigned (signing is tested in peer-client-signing.test.ts).
  const client = new PeerClient({ selfId: 7, timeoutMs: 100 });

  test("json() sends who calls, and parses the answer", async () => {
    const answer = await client.json<{ hello: string }>(address, {
      method: "POST",
      path: "/ok?x=1",
      body: '{"a":1}',
    });
    expect(answer).toEqual({ hello: "world" });
    const request = seen.find((s) => s.path === "/ok?x=1");
    expect(request).toEqual({ path: "/ok?x=1", auth: null, from: "7", body: '{"a":1}' });
  });

  test("a peer's error answer comes back as the same StreamNestError", async () => {
    const error = await client.json(address, { path: "/error" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamNestError);
    expect((error as StreamNestError).code).toBe("TOPIC_EXISTS");
    expect((error as StreamNestError).message).toBe("topic demo exists with 3 partitions");
    expect((error as StreamNestError).status).toBe(409);
  });

  test("a refused call is a cluster fault (503), not the caller's 401", async () => {
    const error = (await client.json(address, { path: "/refuse" }).catch((e: unknown) => e)) as StreamNestError;
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toContain("refused this broker's signed call (wrong cluster secret;");
  });

  test("a LEADER_UNAVAILABLE the peer answered is not taken for no answer (the peer is up); a closed port is", async () => {
    const answered = await client.json(address, { path: "/refuse" }).catch((e: unknown) => e);
    expect((answered as StreamNestError).code).toBe("LEADER_UNAVAILABLE");
    expect(isNoAnswer(answered)).toBe(false);
    const closed = `localhost:${await freePort()}`;
    const unanswered = await client.json(closed, { path: "/ok" }).catch((e: unknown) => e);
    expect((unanswered as StreamNestError).code).toBe("LEADER_UNAVAILABLE");
    expect(isNoAnswer(unanswered)).toBe(true);
    expect(isNoAnswer(new StreamNestError("LEADER_UNAVAILABLE", "made elsewhere"))).toBe(false);
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

  test("binary() sends bytes and who calls, and reads the whole answer; errors come back as json() gives them", async () => {
    const sent = new TextEncoder().encode("bytes ✓");
    expect(await client.binary(address, { method: "POST", path: "/binary", body: sent })).toEqual(BINARY_ANSWER);
    expect(seen.find((s) => s.path === "/binary")).toEqual({ path: "/binary", auth: null, from: "7", body: "bytes ✓" });
    const peerError = (await client.binary(address, { method: "POST", path: "/error", body: sent }).catch((e: unknown) => e)) as StreamNestError;
    expect([peerError.code, peerError.message]).toEqual(["TOPIC_EXISTS", "topic demo exists with 3 partitions"]);
    const refused = (await client.binary(address, { method: "POST", path: "/refuse", body: sent }).catch((e: unknown) => e)) as StreamNestError;
    expect(refused.code).toBe("LEADER_UNAVAILABLE");
    expect(isNoAnswer(refused)).toBe(false);
    const notOurs = (await client.binary(address, { method: "POST", path: "/not-json", body: sent }).catch((e: unknown) => e)) as StreamNestError;
    expect([notOurs.code, notOurs.message]).toEqual(["INTERNAL_ERROR", `${address} answered 502: <html>`]);
  });

  test("binary() to a closed port never arrived; one that hangs times out; the caller's abort is its own", async () => {
    const closed = `localhost:${await freePort()}`;
    const never = (await client.binary(closed, { method: "POST", path: "/ok", body: new Uint8Array(1), label: "broker 3 (x)" }).catch((e: unknown) => e)) as StreamNestError;
    expect([never.code, never.message.startsWith("broker 3 (x) cannot be reached"), isNoAnswer(never), mayHaveArrived(never)]).toEqual([
      "LEADER_UNAVAILABLE",
      true,
      true,
      false,
    ]);
    const late = (await client.binary(address, { method: "POST", path: "/hang", body: new Uint8Array(1) }).catch((e: unknown) => e)) as StreamNestError;
    expect([late.code, late.message, mayHaveArrived(late)]).toEqual(["LEADER_UNAVAILABLE", `${address} did not answer within 100 ms`, true]);
    const abort = new AbortController();
    const call = client.binary(address, { method: "POST", path: "/hang", body: new Uint8Array(1), signal: abort.signal, timeoutMs: 5_000 });
    abort.abort(new Error("the follower stopped"));
    const stopped = await call.catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(Error);
    expect(stopped).not.toBeInstanceOf(StreamNestError);
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

  test("more calls at once than fetch would run (256) all reach the peer, and a short call still answers", async () => {
    // Long-lived calls as forwarded long polls and live tails hold them: waiting for an
    // answer, or reading an answer that stays open.
    const waiting = Array.from({ length: 300 }, () => client.send(address, { path: "/hang", timeoutMs: 30_000 }));
    for (const w of waiting) w.catch(() => undefined);
    const abort = new AbortController();
    const streams = await Promise.all(
      Array.from({ length: 300 }, () => client.send(address, { path: "/open-stream?many", signal: abort.signal, timeoutMs: 5_000 })),
    );
    expect(openStreams.get("?many")).toBe(300);
    expect(await client.json<{ hello: string }>(address, { path: "/ok", timeoutMs: 5_000 })).toEqual({ hello: "world" });
    // Every stream reads what the peer sent, and ends at the peer when its caller leaves.
    const decoder = new TextDecoder();
    for (const response of streams) {
      const first = await response.body?.getReader().read();
      expect(decoder.decode(first?.value)).toBe("started\n");
    }
    abort.abort(new Error("the clients went away"));
    await eventually(() => openStreams.get("?many") === 0);
    for (const release of hung.splice(0)) release();
    for (const response of await Promise.all(waiting)) expect(await response.text()).toBe("late");
  }, 15_000);

  test("cancelling an answer's body ends the call at the peer", async () => {
    const response = await client.send(address, { path: "/open-stream?cancel" });
    expect(openStreams.get("?cancel")).toBe(1);
    await response.body?.cancel();
    await eventually(() => openStreams.get("?cancel") === 0);
  });

  test("a stream the peer breaks off errors with ECONNRESET, not a clean end", async () => {
    const dying = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket) {
          socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{}\r\n\r\n");
          setTimeout(() => socket.terminate(), 50);
        },
      },
    });
    try {
      const response = await client.send(`127.0.0.1:${dying.port}`, { path: "/tail" });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/x-ndjson");
      const error = (await response.text().catch((e: unknown) => e)) as Error & { code?: string };
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe("ECONNRESET");
    } finally {
      dying.stop(true);
    }
  });

  test("the caller's abort ends the call without calling it a peer failure", async () => {
    const abort = new AbortController();
    const pending = client.send(address, { path: "/hang", signal: abort.signal, timeoutMs: 5_000 });
    abort.abort(new Error("client went away"));
    const error = await pending.catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(StreamNestError);
  });
});
