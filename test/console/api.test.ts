import { describe, expect, test } from "bun:test";
import { failureFromAnswer, failureFromException, missingPermission, pathOf, requestHeaders } from "../../src/console/api.ts";

describe("console api", () => {
  test("an error answer becomes its code, message and details", () => {
    const body = JSON.stringify({ error: "SCHEMA_VIOLATION", message: "bad", details: { violations: [{ path: "", message: "x" }] } });
    expect(failureFromAnswer(400, body)).toEqual({
      status: 400,
      code: "SCHEMA_VIOLATION",
      message: "bad",
      details: { violations: [{ path: "", message: "x" }] },
    });
  });

  test("an answer that is not the error shape still gives a message", () => {
    expect(failureFromAnswer(502, "Bad gateway\n")).toEqual({ status: 502, code: "HTTP_502", message: "Bad gateway" });
    expect(failureFromAnswer(500, "")).toEqual({ status: 500, code: "HTTP_500", message: "the broker answered 500" });
    expect(failureFromAnswer(400, '{"error":1}')).toEqual({ status: 400, code: "HTTP_400", message: '{"error":1}' });
  });

  test("a network failure is status 0, UNREACHABLE", () => {
    expect(failureFromException(new TypeError("Failed to fetch"))).toEqual({
      status: 0,
      code: "UNREACHABLE",
      message: "the broker could not be reached (Failed to fetch)",
    });
  });

  test("the token is sent as a bearer header only when set", () => {
    expect(requestHeaders(null, false)).toEqual({});
    expect(requestHeaders(null, true)).toEqual({ "content-type": "application/json" });
    expect(requestHeaders("abc", true)).toEqual({ "content-type": "application/json", authorization: "Bearer abc" });
  });

  test("path segments are encoded", () => {
    expect(pathOf("topics", "a b/c", "partitions", 2)).toBe("/topics/a%20b%2Fc/partitions/2");
  });
  test("a 403 names the permission its details say is missing", () => {
    const body = JSON.stringify({
      error: "FORBIDDEN",
      message: 'User:bob lacks DESCRIBE on cluster "kafka-cluster"',
      details: { principal: "User:bob", operation: "DESCRIBE", resource_type: "CLUSTER", resource_name: "kafka-cluster" },
    });
    expect(missingPermission(failureFromAnswer(403, body))).toBe("DESCRIBE on CLUSTER kafka-cluster");
    expect(missingPermission(failureFromAnswer(403, JSON.stringify({ error: "FORBIDDEN", message: "no" })))).toBeNull();
    expect(missingPermission(failureFromAnswer(400, body))).toBeNull();
  });
});
