import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessControl } from "../../src/auth/access-control.ts";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { createApp } from "../../src/http/app.ts";
import { isPublicPath, isPublicRequest } from "../../src/http/client-auth.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

describe("isPublicRequest", () => {
  test("the open paths, with or without a query, on http and https", () => {
    for (const url of [
      "http://localhost:9092/health",
      "https://broker-1:443/health?verbose=1",
      "http://127.0.0.1:1/swagger",
      "http://127.0.0.1:1/swagger/json",
      "http://127.0.0.1:1/console",
      "http://127.0.0.1:1/console/app.js",
      "http://127.0.0.1:1/internal/heartbeat",
    ])
      expect(`${url} ${isPublicRequest(url)}`).toBe(`${url} true`);
  });

  test("every other path is authenticated, as is one that looks public only as sent or only once parsed", () => {
    for (const url of [
      "http://localhost:9092/produce",
      "https://localhost:9092/consume?topic=health",
      "http://localhost:9092/healthz",
      "http://localhost:9092/produce/../health",
      "http://localhost:9092/health/../produce",
      "http://localhost:9092/internal/../produce",
      "http://localhost:9092/console/../admin/users",
      "http://localhost:9092/%2e%2e/health",
    ])
      expect(`${url} ${isPublicRequest(url)}`).toBe(`${url} false`);
  });

  test("it agrees with isPublicPath on plain paths", () => {
    for (const path of ["/health", "/produce", "/swagger", "/internal/stats", "/admin/acls", "/"])
      expect(isPublicRequest(`http://h:1${path}`)).toBe(isPublicPath(path));
  });
});

describe("the guard in the composed request path", () => {
  // Elysia composes each request's path from its hooks' source text (client-auth.ts): the
  // guard must add no awaited hook and must not make every route copy headers and parse cookies.
  let dir: string;
  let broker: Broker;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "streamnest-client-auth-"));
    broker = Broker.open(brokerConfig({ id: 1, dataDir: dir, port: 9999 }), { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
  });
  afterAll(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function composed(mode: "none" | "token"): { fetch: string; routes: Map<string, string> } {
    const access = new AccessControl({ mode, security: () => broker.security() });
    const app = createApp(broker, { access, logError: () => {} });
    app.compile();
    const routes = new Map<string, string>();
    for (const route of app.routes) {
      const compile = (route as { compile?: () => unknown }).compile;
      if (typeof compile !== "function") throw new Error(`Elysia's route ${route.method} ${route.path} has no compile()`);
      routes.set(`${route.method} ${route.path}`, String(compile.call(route)));
    }
    return { fetch: String(app.fetch), routes };
  }

  test("with --auth=token, requests wait on no more hooks than without, and no route reads more of the request", () => {
    const off = composed("none");
    const on = composed("token");
    const awaited = (code: string) => code.split("await onRequest[").length - 1;
    expect(on.fetch).toContain("onRequest[1](c)");
    expect(awaited(on.fetch)).toBe(awaited(off.fetch));
    expect([...on.routes.keys()]).toEqual([...off.routes.keys()]);
    expect(on.routes.get("POST /produce")).toContain("beforeHandle");
    const reads = (code: string) => ["parseCookie(", "headers.toJSON()"].filter((part) => code.includes(part));
    for (const [route, code] of on.routes) expect(`${route}: ${reads(code)}`).toBe(`${route}: ${reads(off.routes.get(route) ?? "")}`);
  });
});
