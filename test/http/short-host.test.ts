import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessControl } from "../../src/auth/access-control.ts";
import { ADMIN_PRINCIPAL } from "../../src/auth/admin-token.ts";
import { issueApiToken } from "../../src/auth/api-token.ts";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { createApp, type StreamNestApp } from "../../src/http/app.ts";
import { guardedFetch } from "../../src/http/browser-guard.ts";
import { ownerFastPath } from "../../src/http/fast-path.ts";
import { routableUrl } from "../../src/http/short-host.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

/**
 * Requests whose Host is shorter than Elysia's router assumes (short-host.ts). The
 * incident: `Host: x` and `GET /console/consume?…` with no token answered a topic's
 * records on a broker with --auth=token (the token check saw a public console page, the
 * router ran /consume), and `POST /console/admin/users` created a user.
 */

describe("routableUrl", () => {
  test("a URL whose path starts before index 11 gets a placeholder host; the path and query stay as sent", () => {
    expect(routableUrl("http://x/console/consume?topic=t")).toBe("http://streamnest.invalid/console/consume?topic=t");
    expect(routableUrl("https://db/health")).toBe("https://streamnest.invalid/health");
    expect(routableUrl("http://k8s/a/b")).toBe("http://streamnest.invalid/a/b");
    expect(routableUrl("http://x:1/")).toBe("http://streamnest.invalid/");
  });

  test("a URL that does not parse (Host: :8080) gets the placeholder host too", () => {
    expect(routableUrl("http://:21180/console/../topics")).toBe("http://streamnest.invalid/console/../topics");
    expect(routableUrl("http://:8080/internal/stats?x=1")).toBe("http://streamnest.invalid/internal/stats?x=1");
  });

  test("a URL of a path alone (Bun's, for no Host or one it cannot use) gets the placeholder host", () => {
    expect(routableUrl("/admin/users?x=1")).toBe("http://streamnest.invalid/admin/users?x=1");
    expect(routableUrl("/")).toBe("http://streamnest.invalid/");
  });

  test("a URL the router reads right is left alone", () => {
    for (const url of ["http://abcd/health", "http://localhost:9092/produce", "https://abc/x", "http://127.0.0.1:8080/console/consume"])
      expect(`${url} ${routableUrl(url)}`).toBe(`${url} undefined`);
  });
});

describe("a broker with --auth=token, asked with a short Host", () => {
  let dir: string;
  let broker: Broker;
  let app: StreamNestApp;
  const admin = issueApiToken(ADMIN_PRINCIPAL, { now: Date.now(), description: "bootstrap admin" });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "streamnest-short-host-"));
    broker = Broker.open(brokerConfig({ id: 1, dataDir: dir, port: 9999 }), { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
    const access = new AccessControl({ mode: "token", bootstrap: admin.record, security: () => broker.security() });
    app = createApp(broker, { access, logError: () => {} });
    await broker.createTopic("secret", 1);
    await broker.produce("secret", { key: null, value: new TextEncoder().encode("TOPSECRET"), headers: [], partition: 0 });
  });
  afterAll(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(url: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
    const res = await app.handle(new Request(url, init));
    return { status: res.status, text: await res.text() };
  }

  test("a public prefix in front of a route is that public path, never the route behind it", async () => {
    const read = await call("http://x/console/consume?topic=secret&partition=0&offset=0");
    expect(read.text).not.toContain("TOPSECRET");
    expect(read).toEqual(await call("http://localhost/console/consume?topic=secret&partition=0&offset=0"));
    const user = await call("http://x/console/admin/users", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "eve" }) });
    expect(user.status).toBe(405);
    expect((await call("http://localhost/admin/users", { headers: { authorization: `Bearer ${admin.token}` } })).text).not.toContain("eve");
  });

  test("the routes themselves still need the token, and answer with it, under a short Host", async () => {
    const refused = await call("http://x/consume?topic=secret&partition=0&offset=0");
    expect(refused.status).toBe(401);
    const allowed = await call("http://x/consume?topic=secret&partition=0&offset=0", { headers: { authorization: `Bearer ${admin.token}` } });
    expect(allowed).toEqual({ status: 200, text: JSON.stringify({ offset: 0, message: "TOPSECRET" }) });
    expect(await call("http://db/health")).toEqual(await call("http://localhost/health"));
  });

  test("over a socket, Host: :<port> is answered as any other host: 401 without a token, never a 500", async () => {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => app.fetch(request) });
    try {
      for (const path of ["/console/../topics", "/internal/stats", "/consume?topic=secret&partition=0&offset=0"]) {
        const answer = await rawGet(Number(server.port), path, `:${server.port}`);
        expect(`${path} ${answer.split("\r\n")[0]}`).toBe(`${path} HTTP/1.1 401 Unauthorized`);
        expect(answer).not.toContain("TOPSECRET");
      }
    } finally {
      server.stop(true);
    }
  });
});

describe("a broker with --auth=token, asked with a Host it cannot use", () => {
  let dir: string;
  let broker: Broker;
  const admin = issueApiToken(ADMIN_PRINCIPAL, { now: Date.now(), description: "bootstrap admin" });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "streamnest-hostless-"));
    broker = Broker.open(brokerConfig({ id: 1, dataDir: dir, port: 9999 }), { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
    await broker.createTopic("secret", 1);
    await broker.produce("secret", { key: null, value: new TextEncoder().encode("TOPSECRET"), headers: [], partition: 0 });
  });
  afterAll(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Found by a tester: Host "x/y" (or "a?b", "a#b", "a@b") made Bun give the path alone as
  // the URL; the app answered 500 "Something went wrong!" in plain text and logged a stack
  // trace per request, for anyone; with --workers=2 a path of one segment got a bare 400.
  test("through the socket's door (fast path and app): routed by its path, the token checked, never a 500 or a log line", async () => {
    const errors: string[] = [];
    const access = new AccessControl({ mode: "token", bootstrap: admin.record, security: () => broker.security() });
    const app = createApp(broker, { access, logError: (m) => errors.push(m) });
    const door = guardedFetch(ownerFastPath(app, broker, { access, logError: (m) => errors.push(m) }), "127.0.0.1", []);
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: door });
    try {
      const port = Number(server.port);
      for (const host of ["x/y", "a?b", "a#b", "a@localhost", ""]) {
        const seen = async (path: string, token?: string) => {
          const answer = await rawGet(port, path, host, token);
          return [answer.split("\r\n")[0], answer.slice(answer.indexOf("\r\n\r\n") + 4)];
        };
        expect([host, ...(await seen("/admin/users"))]).toEqual([host, "HTTP/1.1 401 Unauthorized", '{"error":"UNAUTHORIZED","message":"this broker needs an API token: send Authorization: Bearer <token>"}']);
        expect([host, ...(await seen("/consume?topic=secret&partition=0&offset=0"))]).toEqual([
          host,
          "HTTP/1.1 401 Unauthorized",
          '{"error":"UNAUTHORIZED","message":"this broker needs an API token: send Authorization: Bearer <token>"}',
        ]);
        expect([host, ...(await seen("/consume?topic=secret&partition=0&offset=0", admin.token))]).toEqual([host, "HTTP/1.1 200 OK", '{"offset":0,"message":"TOPSECRET"}']);
        expect([host, (await seen("/health"))[0]]).toEqual([host, "HTTP/1.1 200 OK"]);
      }
      expect(errors).toEqual([]);
    } finally {
      server.stop(true);
    }
  });
});

/** One GET with exactly this Host header, over a raw socket (fetch cannot send such a Host); the whole answer. */
async function rawGet(port: number, path: string, host: string, token?: string): Promise<string> {
  const { promise, resolve, reject } = Promise.withResolvers<string>();
  let text = "";
  await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(socket) {
        const authorization = token === undefined ? "" : `Authorization: Bearer ${token}\r\n`;
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${authorization}Connection: close\r\n\r\n`);
      },
      data(_socket, chunk) {
        text += chunk.toString();
      },
      close() {
        resolve(text);
      },
      error(_socket, error) {
        reject(error);
      },
    },
  });
  return promise;
}
