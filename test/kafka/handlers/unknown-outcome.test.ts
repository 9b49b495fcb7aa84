import { describe, expect, test } from "bun:test";
import { changeShowedAfterTimeout } from "../../../src/kafka/handlers/unknown-outcome.ts";
import { StreamNestError } from "../../../src/lib/errors.ts";

const timedOut = new StreamNestError("REQUEST_TIMED_OUT", "the change may or may not have been made (unknown outcome)");

describe("changeShowedAfterTimeout", () => {
  test("a quorum write that timed out but shows later, before the request's deadline, counts as done", async () => {
    let checks = 0;
    const shows = () => ++checks >= 3;
    expect(await changeShowedAfterTimeout(timedOut, shows, Date.now() + 60_000, 1)).toBe(true);
    expect(checks).toBe(3);
  });

  test("one that never shows fails once the deadline passed; a past deadline looks once", async () => {
    let checks = 0;
    expect(await changeShowedAfterTimeout(timedOut, () => (checks++, false), Date.now() + 30, 5)).toBe(false);
    expect(checks).toBeGreaterThanOrEqual(2);
    checks = 0;
    expect(await changeShowedAfterTimeout(timedOut, () => (checks++, false), Date.now() - 1)).toBe(false);
    expect(checks).toBe(1);
  });

  test("any other error is answered as it is, without looking", async () => {
    let checks = 0;
    const shows = () => (checks++, true);
    for (const error of [new StreamNestError("TOPIC_NOT_FOUND", "no such topic"), new StreamNestError("NOT_CONTROLLER", "no quorum"), new Error("bug")])
      expect(await changeShowedAfterTimeout(error, shows, Date.now() + 60_000)).toBe(false);
    expect(checks).toBe(0);
  });
});
