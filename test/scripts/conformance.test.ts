import { describe, expect, test } from "bun:test";
import { CONFORMANCE_TESTS, NOAUTOCREATE_TESTS, runsOf, verdictOf } from "../../scripts/conformance.ts";

/** The runner's summary table, as test.c prints it (colour codes included). */
function summary(rows: [string, string][]): string {
  return [
    "\x1b[0mTEST 20261204171340 (bare, scenario default) SUMMARY",
    "#==================================================================#",
    "|\x1b[32m <MAIN>                                   |     PASSED |  18.342s \x1b[0m|",
    ...rows.map(([name, status]) => `|\x1b[32m ${name.padEnd(40)} | ${status.padStart(10)} |   2.049s \x1b[0m|`),
    "#==================================================================#",
  ].join("\n");
}

describe("conformance verdicts", () => {
  test("a pass needs a test that ran and passed; skipped ones do not count", () => {
    expect(verdictOf(0, summary([["0034_offset_reset", "PASSED"], ["0034_offset_reset_mock", "SKIPPED"]]))).toEqual({
      verdict: "pass",
      ran: ["0034_offset_reset"],
    });
    expect(verdictOf(0, summary([["0046_rkt_cache", "SKIPPED"]]))).toEqual({ verdict: "skipped", ran: [] });
    expect(verdictOf(0, "")).toEqual({ verdict: "skipped", ran: [] });
  });

  test("a failed sub-test or a non-zero exit is a failure", () => {
    expect(verdictOf(0, summary([["0011_produce_batch", "FAILED"]])).verdict).toBe("FAIL");
    expect(verdictOf(134, summary([["0012_produce_consume", "PASSED"]])).verdict).toBe("FAIL");
  });

  test("the list is four-digit test numbers, sorted, without duplicates", () => {
    expect(CONFORMANCE_TESTS.every((t) => /^\d{4}$/.test(t))).toBe(true);
    expect([...CONFORMANCE_TESTS].sort()).toEqual([...CONFORMANCE_TESTS]);
    expect(new Set(CONFORMANCE_TESTS).size).toBe(CONFORMANCE_TESTS.length);
  });

  test("every listed test runs in the default scenario, those with noautocreate sub-tests in that one too", () => {
    const runs = runsOf([], 3);
    expect(runs.filter((r) => r.scenario === "default").map((r) => r.test)).toEqual(CONFORMANCE_TESTS);
    expect(runs.filter((r) => r.scenario === "noautocreate").map((r) => r.test)).toEqual(["0107", "0111"]);
    // 0107 and 0111 create topics with replication factor 3: not on one broker.
    expect(runsOf([], 1).filter((r) => r.scenario === "noautocreate").map((r) => r.test)).toEqual([]);
    expect(NOAUTOCREATE_TESTS.some((t) => CONFORMANCE_TESTS.includes(t))).toBe(false);
    expect(runsOf(["0107", "0012", "0999"], 3)).toEqual([
      { test: "0012", scenario: "default" },
      { test: "0107", scenario: "noautocreate" },
      { test: "0999", scenario: "default" },
    ]);
  });
});
