import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { cleanupsAfterEach } from "./cleanups.ts";
import { FaultProxy } from "./fault-proxy.ts";
import { RecordingServer, TestClient } from "./tcp-endpoints.ts";
import { untilTrue } from "./until.ts";

const cleanups = cleanupsAfterEach();
// Megabytes through real sockets on a shared 2-core machine: give each test room when
// the file is run alone (`npm test` passes a longer timeout anyway).
setDefaultTimeout(60_000);

/** How long "nothing arrives" is watched for: long on a busy machine, short for the suite. */
const QUIET_MS = 400;

async function echoBehindProxy(options: { echo: boolean; greeting?: string } = { echo: true }) {
  const server = await RecordingServer.start(options);
  cleanups.push(() => server.close());
  const proxy = await FaultProxy.start({ host: "127.0.0.1", port: server.port });
  cleanups.push(() => proxy.close());
  return { server, proxy };
}

async function dial(port: number): Promise<TestClient> {
  const client = await TestClient.dial(port);
  cleanups.push(() => client.destroy());
  return client;
}

async function roundTrip(client: TestClient, text: string): Promise<string> {
  const before = client.received.length;
  client.socket.write(text);
  const received = await client.waitForBytes(before + Buffer.byteLength(text));
  return received.subarray(before).toString();
}

function httpEcho() {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => new Response(await request.arrayBuffer(), { headers: { "x-path": new URL(request.url).pathname } }),
  });
  cleanups.push(() => server.stop(true));
  return server;
}

describe("a healthy link", () => {
  test("carries a large payload intact both ways", async () => {
    const { proxy, server } = await echoBehindProxy();
    const client = await dial(proxy.port);
    const payload = randomBytes(8 * 1024 * 1024);
    client.socket.write(payload);
    const echoed = await client.waitForBytes(payload.length, 30_000);
    expect(echoed.length).toBe(payload.length);
    expect(echoed.equals(payload)).toBe(true);
    expect(Buffer.concat(server.connections[0].received).equals(payload)).toBe(true);
    expect(proxy.stats()).toEqual({ accepted: 1, open: 1, bytesToTarget: payload.length, bytesToClient: payload.length });
  });

  test("keeps 40 concurrent connections apart", async () => {
    const { proxy, server } = await echoBehindProxy();
    const payloads = Array.from({ length: 40 }, () => randomBytes(64 * 1024));
    const clients = await Promise.all(payloads.map(() => dial(proxy.port)));
    clients.forEach((client, i) => client.socket.write(payloads[i]));
    const echoed = await Promise.all(clients.map((client) => client.waitForBytes(64 * 1024, 30_000)));
    echoed.forEach((bytes, i) => expect(bytes.equals(payloads[i])).toBe(true));
    expect(server.connections.length).toBe(40);
    expect(proxy.stats().open).toBe(40);
  });

  test("serves HTTP requests with 1 MB bodies, kept alive and in parallel", async () => {
    const http = httpEcho();
    const proxy = await FaultProxy.start({ host: "127.0.0.1", port: http.port! });
    cleanups.push(() => proxy.close());
    const bodies = Array.from({ length: 16 }, () => randomBytes(1024 * 1024));
    const answers = await Promise.all(
      bodies.map(async (body, i) => {
        const response = await fetch(`http://${proxy.address}/echo/${i}`, { method: "POST", body });
        return { path: response.headers.get("x-path"), body: Buffer.from(await response.arrayBuffer()) };
      }),
    );
    answers.forEach((answer, i) => {
      expect(answer.path).toBe(`/echo/${i}`);
      expect(answer.body.equals(bodies[i])).toBe(true);
    });
    expect(proxy.stats().bytesToTarget).toBeGreaterThan(16 * 1024 * 1024);
  });

  test("passes a half-close through after the bytes before it", async () => {
    const { proxy, server } = await echoBehindProxy();
    const client = await dial(proxy.port);
    proxy.delay(100);
    client.socket.end("last words");
    await client.waitClosed();
    expect(client.text).toBe("last words");
    expect(server.receivedText(0)).toBe("last words");
  });

  test("passes the target's close through and forgets the connection", async () => {
    const { proxy, server } = await echoBehindProxy({ echo: false, greeting: "hi;" });
    const client = await dial(proxy.port);
    await client.waitForBytes(3);
    server.connections[0].socket.end("bye");
    await client.waitClosed();
    expect(client.text).toBe("hi;bye");
    expect(client.errorCode).toBeUndefined();
    await untilTrue("the proxy forgot the connection", async () => proxy.stats().open === 0, 5_000);
  });
});

describe("cut (reset)", () => {
  test("resets open connections on both sides and resets new ones until healed", async () => {
    const { proxy, server } = await echoBehindProxy();
    const open = await dial(proxy.port);
    expect(await roundTrip(open, "before")).toBe("before");

    proxy.cut();
    await open.waitClosed();
    expect(open.errorCode).toBe("ECONNRESET");
    await untilTrue("the target's side closed", async () => server.connections[0].closed, 5_000);

    const refused = await dial(proxy.port);
    refused.socket.write("never delivered");
    await refused.waitClosed();
    expect(refused.errorCode).toBe("ECONNRESET");
    expect(refused.text).toBe("");
    expect(server.connections.length).toBe(1);
    await expect(fetch(`http://${proxy.address}/`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();

    proxy.heal();
    const after = await dial(proxy.port);
    expect(await roundTrip(after, "after")).toBe("after");
    expect(server.connections.length).toBe(2);
    expect(proxy.stats().accepted).toBe(4);
  });

  test("a target that is down looks like a reset to the client", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
      });
    });
    const proxy = await FaultProxy.start({ host: "127.0.0.1", port });
    cleanups.push(() => proxy.close());
    const client = await dial(proxy.port);
    await client.waitClosed();
    expect(client.errorCode).toBe("ECONNRESET");
    expect(proxy.stats().open).toBe(0);
  });
});

describe("cut (blackhole)", () => {
  test("holds every byte of open and new connections, then delivers to new ones after heal", async () => {
    const { proxy, server } = await echoBehindProxy();
    const open = await dial(proxy.port);
    expect(await roundTrip(open, "before")).toBe("before");

    proxy.cut("blackhole");
    open.socket.write("held");
    const fresh = await dial(proxy.port);
    fresh.socket.write("also held");
    const hung = fetch(`http://${proxy.address}/`, { signal: AbortSignal.timeout(QUIET_MS) });
    await expect(hung).rejects.toThrow(/timed out|abort/i);
    expect(open.text).toBe("before");
    expect(open.closed).toBe(false);
    expect(fresh.text).toBe("");
    expect(fresh.closed).toBe(false);
    expect(server.receivedText(0)).toBe("before");
    expect(server.connections.length).toBe(1);

    proxy.heal();
    const after = await dial(proxy.port);
    expect(await roundTrip(after, "after")).toBe("after");
    // What the blackhole held arrives late, in order, like bytes TCP retransmits.
    expect((await open.waitForBytes(10)).toString()).toBe("beforeheld");
    expect((await fresh.waitForBytes(9)).toString()).toBe("also held");
  });

  test("a client that gives up during the blackhole never reaches the target", async () => {
    const { proxy, server } = await echoBehindProxy();
    proxy.cut("blackhole");
    const abandoned = await dial(proxy.port);
    abandoned.socket.end("given up");
    const patient = await dial(proxy.port);
    patient.socket.write("waited");
    await untilTrue("the proxy dropped the abandoned connection", async () => proxy.stats().open === 1, 5_000);
    proxy.heal();
    expect((await patient.waitForBytes(6)).toString()).toBe("waited");
    expect(server.connections.map((_, i) => server.receivedText(i))).toEqual(["waited"]);
    expect(proxy.stats()).toEqual({ accepted: 2, open: 1, bytesToTarget: 6, bytesToClient: 6 });
  });

  test("stops reading, so senders back up, and delivers all of it after the heal", async () => {
    const { proxy } = await echoBehindProxy();
    const open = await dial(proxy.port);
    expect(await roundTrip(open, "before")).toBe("before");
    proxy.cut("blackhole");
    const fresh = await dial(proxy.port);
    const payloads = [randomBytes(12 * 1024 * 1024), randomBytes(12 * 1024 * 1024)];
    open.socket.write(payloads[0]);
    fresh.socket.write(payloads[1]);
    // More than the kernel's socket buffers hold: the rest waits in the senders.
    await untilTrue("both senders backed up", async () => open.socket.writableLength > 0 && fresh.socket.writableLength > 0, 5_000);
    // Whether the senders stay backed up after this depends on how far the kernel grows
    // its socket buffers (it did absorb all 24 MB once, in a full-suite run); what the
    // blackhole promises is that nothing reaches the target until the heal.
    await Bun.sleep(QUIET_MS);
    expect(proxy.stats().bytesToTarget).toBe(6);
    proxy.heal();
    expect((await open.waitForBytes(6 + payloads[0].length, 30_000)).subarray(6).equals(payloads[0])).toBe(true);
    expect((await fresh.waitForBytes(payloads[1].length, 30_000)).equals(payloads[1])).toBe(true);
  });

  test("a reset cut after a blackhole drops the held connections", async () => {
    const { proxy } = await echoBehindProxy();
    const open = await dial(proxy.port);
    proxy.cut("blackhole");
    open.socket.write("held");
    await Bun.sleep(50);
    proxy.cut("reset");
    await open.waitClosed();
    expect(open.errorCode).toBe("ECONNRESET");
    expect(open.text).toBe("");
  });
});

describe("delay", () => {
  test("delivers every chunk, in order, no sooner than the delay each way", async () => {
    const { proxy } = await echoBehindProxy();
    const client = await dial(proxy.port);
    proxy.delay(150);
    const started = performance.now();
    const chunks = Array.from({ length: 20 }, (_, i) => `<${i}>`);
    for (const chunk of chunks) {
      client.socket.write(chunk);
      await Bun.sleep(5);
    }
    const expected = chunks.join("");
    const echoed = await client.waitForBytes(expected.length);
    // Two crossings of the proxy (there and back); timers may fire a millisecond early.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 150 - 5);
    expect(echoed.toString()).toBe(expected);
  });

  test("lowering the delay never lets a later chunk overtake an earlier one", async () => {
    const { proxy, server } = await echoBehindProxy({ echo: false });
    const client = await dial(proxy.port);
    proxy.delay(300);
    client.socket.write("first,");
    await Bun.sleep(20);
    proxy.delay(0);
    client.socket.write("second");
    await Bun.sleep(100);
    expect(server.receivedText(0)).toBe("");
    await untilTrue("both chunks arrived", async () => server.receivedText(0).length === 12, 5_000);
    expect(server.receivedText(0)).toBe("first,second");
  });

  test("refuses a negative delay", async () => {
    const { proxy } = await echoBehindProxy();
    expect(() => proxy.delay(-1)).toThrow(RangeError);
    expect(proxy.faults()).toEqual({ cut: null, oneWay: null, delayMs: 0 });
  });
});

describe("one-way", () => {
  test("toTarget: the target gets the request, its answer is held until heal", async () => {
    const { proxy, server } = await echoBehindProxy();
    const open = await dial(proxy.port);
    proxy.oneWay("toTarget");
    open.socket.write("request");
    const fresh = await dial(proxy.port);
    fresh.socket.write("new request");
    await untilTrue("the target got both requests", async () => server.receivedText(0) === "request" && server.receivedText(1) === "new request", 5_000);
    await Bun.sleep(QUIET_MS);
    expect(open.text).toBe("");
    expect(fresh.text).toBe("");
    expect(proxy.stats().bytesToClient).toBe(0);

    proxy.heal();
    expect((await open.waitForBytes(7)).toString()).toBe("request");
    expect((await fresh.waitForBytes(11)).toString()).toBe("new request");
  });

  test("toClient: the target's bytes arrive, the client's are held until heal", async () => {
    const { proxy, server } = await echoBehindProxy({ echo: false, greeting: "hi;" });
    const client = await dial(proxy.port);
    expect((await client.waitForBytes(3)).toString()).toBe("hi;");
    proxy.oneWay("toClient");
    client.socket.write("unheard");
    server.push("news");
    expect((await client.waitForBytes(7)).toString()).toBe("hi;news");
    await Bun.sleep(QUIET_MS);
    expect(server.receivedText(0)).toBe("");
    expect(proxy.stats().bytesToTarget).toBe(0);

    proxy.heal();
    await untilTrue("the held bytes arrived", async () => server.receivedText(0) === "unheard", 5_000);
  });
});

describe("close", () => {
  test("resets open connections and frees the port", async () => {
    const { proxy } = await echoBehindProxy();
    const client = await dial(proxy.port);
    expect(await roundTrip(client, "x")).toBe("x");
    await proxy.close();
    await client.waitClosed();
    expect(client.errorCode).toBe("ECONNRESET");
    const late = await TestClient.dial(proxy.port);
    expect(late.errorCode).toBe("ECONNREFUSED");
    // The port can be bound again at once.
    const rebound = createServer();
    await new Promise<void>((resolve, reject) => {
      rebound.once("error", reject);
      rebound.listen(proxy.port, "127.0.0.1", () => resolve());
    });
    await new Promise<void>((resolve) => rebound.close(() => resolve()));
  });

  test("leaves nothing behind: a process that used every fault exits on its own", async () => {
    const probe = Bun.spawn([process.execPath, `${import.meta.dir}/fault-proxy-exit-probe.ts`], { stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => probe.kill("SIGKILL"), 20_000);
    const code = await probe.exited;
    clearTimeout(timer);
    const stdout = await new Response(probe.stdout).text();
    const stderr = await new Response(probe.stderr).text();
    expect({ code, signal: probe.signalCode, stderr }).toEqual({ code: 0, signal: null, stderr: "" });
    expect(stdout).toMatch(/^closed \d+,\d+,\d+,\d+\n$/);
  });
});
