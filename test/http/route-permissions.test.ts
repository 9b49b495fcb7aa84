import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessControl } from "../../src/auth/access-control.ts";
import { EMPTY_SECURITY_STATE } from "../../src/auth/security-state.ts";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { createApp } from "../../src/http/app.ts";
import { isPublicPath } from "../../src/http/client-auth.ts";
import { ROUTE_RULES, routeNeeds } from "../../src/http/route-permissions.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

const dir = mkdtempSync(join(tmpdir(), "streamnest-route-rules-"));
const broker = Broker.open(brokerConfig({ id: 1, dataDir: dir, port: 9999 }), { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

test("every public route of the app has a permission rule, and every rule names a route", () => {
  const app = createApp(broker, { access: new AccessControl({ mode: "token", security: () => EMPTY_SECURITY_STATE }) });
  const routes = app.routes
    .filter((r) => !isPublicPath(r.path) && r.method !== "HEAD" && r.method !== "OPTIONS")
    .map((r) => `${r.method} ${r.path}`);
  const missing = routes.filter((r) => !Object.hasOwn(ROUTE_RULES, r));
  expect(missing).toEqual([]);
  expect(Object.keys(ROUTE_RULES).filter((rule) => !routes.includes(rule))).toEqual([]);
});

test("a route without a rule needs ALTER on the cluster: a new route is closed until it gets one", () => {
  expect(routeNeeds("POST", "/made-up", { body: {}, params: {}, query: {} })).toEqual([
    { operation: "ALTER", resources: [{ type: "CLUSTER", name: "kafka-cluster" }] },
  ]);
});

test("a group commit needs READ on the group and on each topic once; a create, CREATE on the topic or the cluster", () => {
  const commit = routeNeeds("POST", "/groups/:group/offsets", {
    params: { group: "g" },
    query: {},
    body: { offsets: [{ topic: "a", partition: 0, offset: 1 }, { topic: "a", partition: 1, offset: 1 }, { topic: "b", partition: 0, offset: 1 }] },
  });
  expect(commit).toEqual([
    { operation: "READ", resources: [{ type: "GROUP", name: "g" }] },
    { operation: "READ", resources: [{ type: "TOPIC", name: "a" }] },
    { operation: "READ", resources: [{ type: "TOPIC", name: "b" }] },
  ]);
  expect(routeNeeds("POST", "/create-topic", { body: { topic: "t", partitions: 1 }, params: {}, query: {} })).toEqual([
    { operation: "CREATE", resources: [{ type: "TOPIC", name: "t" }, { type: "CLUSTER", name: "kafka-cluster" }] },
  ]);
  expect(routeNeeds("GET", "/list-topics", { body: undefined, params: {}, query: {} })).toBe("filtered");
});
