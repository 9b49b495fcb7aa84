import { describe, expect, test } from "bun:test";
import { ERROR_CODES, isErrorCode, StreamNestError } from "../../src/lib/errors.ts";

describe("StreamNestError", () => {
  test("carries its code, message and details, and reads status and retriability from the code", () => {
    const error = new StreamNestError("LEADER_UNAVAILABLE", "broker 2 is down", { broker: "b:2" });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("StreamNestError");
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toBe("broker 2 is down");
    expect(error.details).toEqual({ broker: "b:2" });
    expect(error.status).toBe(503);
    expect(error.retriable).toBe(true);
    const refused = new StreamNestError("TOPIC_NOT_FOUND", "no topic");
    expect(refused.status).toBe(404);
    expect(refused.retriable).toBe(false);
  });

  test("serializes to the HTTP error shape, with details only when given", () => {
    expect(JSON.stringify(new StreamNestError("INVALID_OFFSET", "bad"))).toBe('{"error":"INVALID_OFFSET","message":"bad"}');
    expect(new StreamNestError("BODY_TOO_LARGE", "big", { limit: 10 }).toJSON()).toEqual({
      error: "BODY_TOO_LARGE",
      message: "big",
      details: { limit: 10 },
    });
    // A falsy detail is still a detail.
    expect(new StreamNestError("INVALID_REQUEST", "x", 0).toJSON()).toEqual({ error: "INVALID_REQUEST", message: "x", details: 0 });
  });

  test("every code is a caller error (4xx) or a server one (5xx), and 5xx ones are known", () => {
    const serverSide = Object.entries(ERROR_CODES)
      .filter(([, v]) => v.status >= 500)
      .map(([code, v]) => `${code}:${v.status}:${v.retriable}`)
      .sort();
    expect(serverSide).toEqual([
      "CORRUPT_RECORD:500:false",
      "INTERNAL_ERROR:500:true",
      "LEADER_UNAVAILABLE:503:true",
      "NOT_CONTROLLER:503:true",
      "NOT_COORDINATOR:503:true",
      "NOT_ENOUGH_REPLICAS:503:true",
      "NOT_LEADER_OR_FOLLOWER:503:true",
      "REQUEST_TIMED_OUT:504:true",
      "STORAGE_ERROR:500:false",
      "STORAGE_FULL:507:true",
    ]);
    for (const { status } of Object.values(ERROR_CODES)) expect(status >= 400 && status < 600).toBe(true);
  });
});

describe("isErrorCode", () => {
  test("accepts the declared codes only, never inherited properties", () => {
    expect(isErrorCode("TOPIC_NOT_FOUND")).toBe(true);
    expect(isErrorCode("STORAGE_FULL")).toBe(true);
    expect(isErrorCode("topic_not_found")).toBe(false);
    expect(isErrorCode("toString")).toBe(false);
    expect(isErrorCode("__proto__")).toBe(false);
    expect(isErrorCode(404)).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });
});
