import { describe, expect, test } from "bun:test";
import { Counter, Registry } from "prom-client";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { json, jsonBytes, jsonText, RequestCounter } from "../../src/http/respond.ts";

describe("JSON answers", () => {
  test("jsonText and jsonBytes send the text as given, with a JSON content type and the status", async () => {
    const a = jsonText('{"a":1}');
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toBe("application/json");
    expect(await a.text()).toBe('{"a":1}');
    const b = jsonBytes(new TextEncoder().encode('{"ü":"日"}'), 201);
    expect(b.status).toBe(201);
    expect(b.headers.get("content-type")).toBe("application/json");
    expect(await b.json()).toEqual({ ü: "日" });
  });

  test("answers do not share a mutable header set", () => {
    const first = jsonText("{}");
    first.headers.set("x-extra", "1");
    expect(jsonText("{}").headers.get("x-extra")).toBeNull();
  });

  test("json encodes a value", async () => {
    const r = json({ error: "X", message: "m" }, 404);
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toStartWith("application/json");
    expect(await r.text()).toBe('{"error":"X","message":"m"}');
  });
});

describe("RequestCounter", () => {
  test("counts into BrokerMetrics by method, route and status", async () => {
    const metrics = new BrokerMetrics({ defaultMetrics: false });
    const counter = new RequestCounter(metrics);
    counter.count("POST", "/produce", 200);
    counter.count("POST", "/produce", 200);
    counter.count("GET", "/consume", 204);
    const text = await metrics.registry.metrics();
    expect(text).toContain('streamnest_http_requests_total{method="POST",route="/produce",status="200"} 2');
    expect(text).toContain('streamnest_http_requests_total{method="GET",route="/consume",status="204"} 1');
  });

  test("counts into a bare prom-client Counter", async () => {
    const registry = new Registry();
    const bare = new Counter({ name: "t_requests", help: "h", labelNames: ["method", "route", "status"], registers: [registry] });
    new RequestCounter(bare).count("DELETE", "/topics/:topic", 404);
    expect((await bare.get()).values).toEqual([{ value: 1, labels: { method: "DELETE", route: "/topics/:topic", status: "404" } }]);
  });
});
