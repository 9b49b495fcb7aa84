import { describe, expect, test } from "bun:test";
import { defaultMessages, messagesSearch, parseRoute, routeHref } from "../../src/console/route.ts";

describe("console routes", () => {
  test("each view's address", () => {
    expect(parseRoute("/console", "")).toEqual({ view: "overview" });
    expect(parseRoute("/console/", "")).toEqual({ view: "overview" });
    expect(parseRoute("/console/topics", "")).toEqual({ view: "topics" });
    expect(parseRoute("/console/groups", "")).toEqual({ view: "groups" });
    expect(parseRoute("/console/groups/billing", "")).toEqual({ view: "group", group: "billing" });
    expect(parseRoute("/console/schemas", "")).toEqual({ view: "schemas", topic: null });
    expect(parseRoute("/console/schemas/orders", "")).toEqual({ view: "schemas", topic: "orders" });
    expect(parseRoute("/console/settings", "")).toEqual({ view: "settings" });
    expect(parseRoute("/console/nope/a/b", "")).toEqual({ view: "not-found", path: "/console/nope/a/b" });
    expect(parseRoute("/elsewhere", "")).toEqual({ view: "not-found", path: "/elsewhere" });
    expect(parseRoute("/console/topics/%E0%A4%A", "")).toEqual({ view: "not-found", path: "/console/topics/%E0%A4%A" });
  });

  test("a shared topic link carries partition and offset", () => {
    expect(parseRoute("/console/topics/demo", "?partition=1&offset=42")).toEqual({
      view: "topic",
      topic: "demo",
      messages: { partition: 1, from: "offset", offset: 42, time: null, filter: "", live: false },
    });
  });

  test("from=end, a time, a filter and the live tail", () => {
    expect(parseRoute("/console/topics/d.x", "?from=end&q=error%20user").view).toBe("topic");
    const r = parseRoute("/console/topics/d.x", "?partition=2&time=2026-01-02T03:04:05.000Z&q=a+b&live=1");
    expect(r).toEqual({
      view: "topic",
      topic: "d.x",
      messages: { partition: 2, from: "time", offset: null, time: Date.UTC(2026, 0, 2, 3, 4, 5), filter: "a b", live: true },
    });
  });

  test("bad numbers fall back to the defaults", () => {
    const r = parseRoute("/console/topics/t", "?partition=-1&offset=abc");
    expect(r).toEqual({ view: "topic", topic: "t", messages: defaultMessages() });
  });

  test("hrefs parse back to the same route", () => {
    const routes = [
      { view: "overview" as const },
      { view: "topics" as const },
      { view: "group" as const, group: "g/1" },
      { view: "schemas" as const, topic: "orders" },
      { view: "topic" as const, topic: "a b", messages: { partition: 3, from: "offset" as const, offset: 7, time: null, filter: "x", live: true } },
      { view: "topic" as const, topic: "t", messages: { partition: 0, from: "end" as const, offset: null, time: null, filter: "", live: false } },
    ];
    for (const route of routes) {
      const href = routeHref(route);
      const url = new URL(href, "http://h");
      expect(parseRoute(url.pathname, url.search)).toEqual(route);
    }
    expect(messagesSearch({ partition: 1, from: "offset", offset: 42, time: null, filter: "", live: false })).toBe("?partition=1&offset=42");
  });
});
