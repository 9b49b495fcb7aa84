import { afterEach, describe, expect, test } from "bun:test";
import type { Server, ServerWebSocket } from "bun";
import { ChannelClosed, ChannelRefused, PeerChannel } from "../../src/cluster/peer-channel.ts";
import { type ChannelCall, decodeCall, encodeAnswer } from "../../src/lib/channel-frames.ts";

/**
 * The follower's end of the replication channel (cluster/peer-channel.ts) against a real
 * WebSocket server on a port, which answers calls as the test tells it.
 */

interface Peer {
  url: string;
  /** Upgrades seen, with the headers each carried. */
  upgrades: Headers[];
  /** Calls received, with the socket each came on. */
  calls: { call: ChannelCall; ws: ServerWebSocket<unknown> }[];
  /** Resolves once `n` calls have arrived. */
  received(n: number): Promise<void>;
  server: Server<unknown>;
}

const servers: Server<unknown>[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

function peer(options: { refuse?: number } = {}): Peer {
  const upgrades: Headers[] = [];
  const calls: Peer["calls"] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request, srv) {
      upgrades.push(request.headers);
      if (options.refuse !== undefined) return Response.json({ error: "UNAUTHORIZED" }, { status: options.refuse });
      return srv.upgrade(request) ? undefined : new Response("no", { status: 400 });
    },
    websocket: {
      message(ws, message) {
        calls.push({ call: decodeCall(message as Buffer), ws });
        for (const w of waiters.filter((x) => calls.length >= x.n)) w.resolve();
      },
    },
  });
  servers.push(server);
  return {
    url: `ws://127.0.0.1:${server.port}/internal/replication/channel`,
    upgrades,
    calls,
    received: (n) => (calls.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    server,
  };
}

function answer(ws: ServerWebSocket<unknown>, id: number, text: string, status = 200): void {
  ws.send(encodeAnswer({ id, status, json: status !== 200, signature: `sig-${id}` }, [new TextEncoder().encode(text)]));
}

const bytes = (text: string) => new TextEncoder().encode(text);
const textOf = (body: Uint8Array) => new TextDecoder().decode(body);
const timeout = () => new Error("timed out");

describe("PeerChannel", () => {
  test("answers are matched to their calls by id, in whatever order they come; the upgrade carries fresh headers", async () => {
    const p = peer();
    let made = 0;
    const channel = new PeerChannel(p.url, () => ({ "x-streamnest-broker-auth": `sig ${++made}` }));
    const socket = await channel.ready(2_000);
    expect(await channel.ready(2_000)).toBe(socket);
    const first = channel.call(socket, "auth-1", bytes("one"), 2_000, timeout);
    const second = channel.call(socket, "auth-2", bytes("two"), 2_000, timeout);
    await p.received(2);
    expect(p.calls.map(({ call }) => [call.authorization, textOf(call.body)])).toEqual([
      ["auth-1", "one"],
      ["auth-2", "two"],
    ]);
    // The second is answered first.
    answer(p.calls[1].ws, p.calls[1].call.id, "answer two");
    answer(p.calls[0].ws, p.calls[0].call.id, "answer one", 503);
    const [a1, a2] = await Promise.all([first, second]);
    expect([a1.status, a1.json, a1.signature, textOf(a1.body)]).toEqual([503, true, `sig-${p.calls[0].call.id}`, "answer one"]);
    expect([a2.status, a2.json, a2.signature, textOf(a2.body)]).toEqual([200, false, `sig-${p.calls[1].call.id}`, "answer two"]);
    expect(channel.inFlight).toBe(0);
    expect(p.upgrades.map((h) => h.get("x-streamnest-broker-auth"))).toEqual(["sig 1"]);
    channel.close();
  });

  test("an upgrade the peer refuses is ChannelRefused naming its status; nothing was sent", async () => {
    const p = peer({ refuse: 401 });
    const channel = new PeerChannel(p.url, () => ({}));
    const refused = await channel.ready(2_000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChannelRefused);
    expect((refused as ChannelRefused).status).toBe(401);
    expect(p.calls).toEqual([]);
  });

  test("a closed port is ChannelRefused with no status, unreachable: nothing took the connection", async () => {
    const p = peer();
    p.server.stop(true);
    servers.length = 0;
    const refused = await new PeerChannel(p.url, () => ({})).ready(2_000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChannelRefused);
    expect([(refused as ChannelRefused).status, (refused as ChannelRefused).unreachable, (refused as ChannelRefused).code]).toEqual([
      undefined,
      true,
      "ConnectionRefused",
    ]);
  });

  test("an upgrade left unanswered is ChannelRefused with no status, and not unreachable: something took the connection", async () => {
    // A listener that takes the connection and never answers (a proxy that swallows upgrades).
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const refused = await new PeerChannel(`ws://127.0.0.1:${silent.port}/channel`, () => ({})).ready(300).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ChannelRefused);
      expect([(refused as ChannelRefused).message, (refused as ChannelRefused).status, (refused as ChannelRefused).unreachable]).toEqual([
        "no answer to the upgrade within 300 ms",
        undefined,
        false,
      ]);
    } finally {
      silent.stop(true);
    }
  });

  test("a call not answered in time fails with the timeout, and takes the socket (and its other calls) with it; the next call opens a new one", async () => {
    const p = peer();
    const channel = new PeerChannel(p.url, () => ({}));
    const socket = await channel.ready(2_000);
    const slow = channel.call(socket, "a", bytes("never answered"), 10_000, timeout).catch((e: unknown) => e);
    const timed = channel.call(socket, "a", bytes("times out"), 100, timeout).catch((e: unknown) => e);
    expect(await timed).toEqual(new Error("timed out"));
    expect(await slow).toBeInstanceOf(ChannelClosed);
    // The old socket takes no call.
    expect(await channel.call(socket, "a", bytes("x"), 1_000, timeout).catch((e: unknown) => e)).toBeInstanceOf(ChannelClosed);
    const again = await channel.ready(2_000);
    expect(again).not.toBe(socket);
    const call = channel.call(again, "a", bytes("after"), 2_000, timeout);
    await p.received(3);
    answer(p.calls[2].ws, p.calls[2].call.id, "fine");
    expect(textOf((await call).body)).toBe("fine");
    expect(p.upgrades.length).toBe(2);
    channel.close();
  });

  test("the peer closing the socket mid-call is ChannelClosed: the caller cannot know whether the call was acted on", async () => {
    const p = peer();
    const channel = new PeerChannel(p.url, () => ({}));
    const socket = await channel.ready(2_000);
    const pending = channel.call(socket, "a", bytes("x"), 5_000, timeout).catch((e: unknown) => e);
    await p.received(1);
    p.calls[0].ws.close(1011, "going away");
    const failed = await pending;
    expect(failed).toBeInstanceOf(ChannelClosed);
    expect((failed as ChannelClosed).code).toBe("ECONNRESET");
  });

  test("the caller's abort ends its call with its reason; the answer that comes later is dropped and the socket serves on", async () => {
    const p = peer();
    const channel = new PeerChannel(p.url, () => ({}));
    const socket = await channel.ready(2_000);
    const stop = new AbortController();
    const aborted = channel.call(socket, "a", bytes("x"), 5_000, timeout, stop.signal).catch((e: unknown) => e);
    await p.received(1);
    stop.abort(new Error("caller left"));
    expect(await aborted).toEqual(new Error("caller left"));
    expect(channel.inFlight).toBe(0);
    answer(p.calls[0].ws, p.calls[0].call.id, "late");
    const next = channel.call(socket, "a", bytes("y"), 2_000, timeout);
    await p.received(2);
    answer(p.calls[1].ws, p.calls[1].call.id, "on time");
    expect(textOf((await next).body)).toBe("on time");
    // Already aborted: never sent.
    expect(await channel.call(socket, "a", bytes("z"), 2_000, timeout, AbortSignal.abort(new Error("gone"))).catch((e: unknown) => e)).toEqual(new Error("gone"));
    await Bun.sleep(50);
    expect(p.calls.length).toBe(2);
    channel.close();
  });

  test("a frame that is not an answer drops the socket: its calls fail", async () => {
    const p = peer();
    const channel = new PeerChannel(p.url, () => ({}));
    const socket = await channel.ready(2_000);
    const pending = channel.call(socket, "a", bytes("x"), 5_000, timeout).catch((e: unknown) => e);
    await p.received(1);
    p.calls[0].ws.send(new Uint8Array([9, 9, 9]));
    expect(await pending).toBeInstanceOf(ChannelClosed);
    const text = channel.call(await channel.ready(2_000), "a", bytes("x"), 5_000, timeout).catch((e: unknown) => e);
    await p.received(2);
    p.calls[1].ws.send("a text frame");
    expect(await text).toBeInstanceOf(ChannelClosed);
  });

  test("close() fails the calls waiting and refuses new sockets", async () => {
    const p = peer();
    const channel = new PeerChannel(p.url, () => ({}));
    const socket = await channel.ready(2_000);
    const pending = channel.call(socket, "a", bytes("x"), 5_000, timeout).catch((e: unknown) => e);
    await p.received(1);
    channel.close();
    expect(await pending).toBeInstanceOf(ChannelClosed);
    expect(await channel.ready(2_000).catch((e: unknown) => e)).toEqual(new ChannelRefused("the channel is closed"));
  });
});
