import { describe, expect, test } from "bun:test";
import { retryingSend, worthRetrying } from "../../../src/commands/cli/produce-retry.ts";
import { StreamNestError } from "../../../src/lib/errors.ts";

describe("worthRetrying", () => {
  test("no leader (nothing sent) and too few in-sync replicas (nothing written) are sent again", () => {
    expect(worthRetrying(new StreamNestError("LEADER_UNAVAILABLE", "offline", { partition: 2, state: "offline" }))).toBe(true);
    expect(worthRetrying(new StreamNestError("NOT_LEADER_OR_FOLLOWER", "moved"))).toBe(false);
    expect(worthRetrying(new StreamNestError("NOT_ENOUGH_REPLICAS", "isr 1 < 2"))).toBe(true);
  });

  test("an unknown outcome is never sent again (it could be stored twice), nor a refusal of the message itself", () => {
    expect(worthRetrying(new StreamNestError("LEADER_UNAVAILABLE", "x", { timedOut: true }))).toBe(false);
    expect(worthRetrying(new StreamNestError("LEADER_UNAVAILABLE", "x", { interrupted: true }))).toBe(false);
    expect(worthRetrying(new StreamNestError("LEADER_UNAVAILABLE", "x", { unreachable: ["a:1"], mayHaveArrived: true }))).toBe(false);
    expect(worthRetrying(new StreamNestError("REQUEST_TIMED_OUT", "x", { unknownOutcome: true }))).toBe(false);
    expect(worthRetrying(new StreamNestError("SCHEMA_VIOLATION", "x"))).toBe(false);
    expect(worthRetrying(new Error("x"))).toBe(false);
  });
});

describe("retryingSend", () => {
  test("sends again after growing pauses until taken, telling why once", async () => {
    const told: string[] = [];
    const at: number[] = [];
    let calls = 0;
    const started = Date.now();
    const answer = await retryingSend(
      async () => {
        at.push(Date.now() - started);
        if (++calls < 3) throw new StreamNestError("LEADER_UNAVAILABLE", `no leader ${calls}`);
        return "stored";
      },
      { retrying: (e) => told.push(e.message), firstMs: 40, maxMs: 1000, forMs: 5000 },
    );
    expect(answer).toBe("stored");
    expect(calls).toBe(3);
    expect(told).toEqual(["no leader 1"]);
    // Pauses of 40 then 80 ms.
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(35);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(75);
  });

  test("gives up with the last refusal once the time is up, and at once on what is not worth retrying", async () => {
    let calls = 0;
    const last = await retryingSend(
      async () => {
        calls++;
        throw new StreamNestError("LEADER_UNAVAILABLE", `try ${calls}`);
      },
      { firstMs: 20, maxMs: 20, forMs: 100 },
    ).catch((e: unknown) => e);
    expect((last as StreamNestError).message).toBe(`try ${calls}`);
    expect(calls).toBeGreaterThanOrEqual(3);
    let once = 0;
    const refused = await retryingSend(async () => {
      once++;
      throw new StreamNestError("LEADER_UNAVAILABLE", "may have", { interrupted: true });
    }).catch((e: unknown) => e);
    expect([once, (refused as StreamNestError).message]).toEqual([1, "may have"]);
  });
});
