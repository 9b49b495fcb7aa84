import { describe, expect, test } from "bun:test";
import { outcomeOfAnswer, outcomeOfError } from "../../../scripts/chaos/produce-outcome.ts";

describe("reading a produce answer as ok, failed or unknown", () => {
  test("200 with an offset for the partition asked is ok; anything else with 200 is unknown", () => {
    expect(outcomeOfAnswer(200, { offset: 7, partition: 2 }, 2)).toEqual({ type: "ok", partition: 2, offset: 7 });
    expect(outcomeOfAnswer(200, { offset: 7, partition: 1 }, 2).type).toBe("unknown");
    expect(outcomeOfAnswer(200, "not json", 2).type).toBe("unknown");
  });

  test("clean refusals are failed: NOT_ENOUGH_REPLICAS, a leader not found, a 4xx", () => {
    expect(outcomeOfAnswer(503, { error: "NOT_ENOUGH_REPLICAS", message: "has 1 in-sync replica; Nothing was written" }, 0)).toEqual({
      type: "failed",
      error: "NOT_ENOUGH_REPLICAS: has 1 in-sync replica; Nothing was written",
    });
    expect(outcomeOfAnswer(503, { error: "LEADER_UNAVAILABLE", message: "no leader" }, 0).type).toBe("failed");
    expect(outcomeOfAnswer(404, { error: "TOPIC_NOT_FOUND", message: "no topic" }, 0).type).toBe("failed");
  });

  test("a refusal that says the leader may have written is unknown, by its words or its details", () => {
    const unknown = (body: unknown) => outcomeOfAnswer(503, body, 0).type;
    expect(unknown({ error: "LEADER_UNAVAILABLE", message: "cannot be reached (ECONNRESET); the leader may have written the message" })).toBe("unknown");
    expect(unknown({ error: "LEADER_UNAVAILABLE", message: "timed out; the leader may still write the message" })).toBe("unknown");
    expect(unknown({ error: "LEADER_UNAVAILABLE", message: "x", details: { timedOut: true } })).toBe("unknown");
    expect(unknown({ error: "LEADER_UNAVAILABLE", message: "x", details: { interrupted: true } })).toBe("unknown");
    expect(outcomeOfAnswer(504, { error: "REQUEST_TIMED_OUT", message: "the outcome is unknown", details: { unknownOutcome: true } }, 0).type).toBe("unknown");
  });

  test("a server error or a fenced epoch is unknown: nothing proves the record was not appended", () => {
    expect(outcomeOfAnswer(500, { error: "INTERNAL_ERROR", message: "boom" }, 0).type).toBe("unknown");
    expect(outcomeOfAnswer(409, { error: "FENCED_LEADER_EPOCH", message: "stale" }, 0).type).toBe("unknown");
    expect(outcomeOfAnswer(502, "Bad Gateway", 0)).toEqual({ type: "unknown", error: "HTTP 502: " });
  });

  test("no answer: a refused connection is failed (nothing was sent), a timeout or a reset unknown", () => {
    expect(outcomeOfError(Object.assign(new TypeError("Unable to connect. Is the computer able to access the url?"), { code: "ConnectionRefused" })).type).toBe("failed");
    expect(outcomeOfError(new DOMException("The operation timed out.", "TimeoutError")).type).toBe("unknown");
    expect(outcomeOfError(new TypeError("ECONNRESET: The socket connection was closed unexpectedly")).type).toBe("unknown");
  });
});
