import { expect, test } from "bun:test";
import { checkHistory } from "../../../scripts/chaos/checker.ts";
import { reportText } from "../../../scripts/chaos/report-text.ts";
import { cleanHistory, everyReplica, withReplicas } from "./history-builders.ts";

test("a clean report: counts, no violations, quiet windows by fault kind", () => {
  const text = reportText(checkHistory(cleanHistory()), {
    byKind: {
      pause: { topic: "t", partition: 1, from: 80, to: 95, ms: 15, fault: { kind: "pause", start: 90 } },
      kill: { topic: "t", partition: 0, from: 15, to: 50, ms: 35, fault: { kind: "kill", start: 20, end: 40, target: "broker 2" } },
    },
    outsideFaults: { topic: "t", partition: 0, from: 0, to: 10, ms: 10 },
  });
  expect(text).toBe(
    [
      "attempts 8: ok 3, failed 1, unknown 4 (retries 1)",
      "values 7: acknowledged 3, in the final log 4 (unknown outcomes written 1), at more than one offset 1",
      "reads during the run 3; 2 partition(s) on 6 replica(s): 5 committed record(s), 1 above the high watermark",
      "violations: none",
      "longest window without an acknowledged write:",
      "  kill: 35 ms on t/0 (15 to 50, during kill of broker 2 from 20)",
      "  pause: 15 ms on t/1 (80 to 95, during pause from 90)",
      "  no fault: 10 ms on t/0 (0 to 10)",
    ].join("\n"),
  );
});

test("violations are counted by kind and the first ones shown in full", () => {
  const report = checkHistory(withReplicas(cleanHistory(), 0, everyReplica(0, 1, ["v1"])));
  const lines = reportText(report, { byKind: {}, outsideFaults: null }, 1).split("\n");
  expect(lines.slice(3)).toEqual([
    "violations: 2 (lost 1, phantom-read 1)",
    '  lost: attempt a2: "v2" acknowledged at t/0@1 is not in the final log (that offset holds nothing)',
    "  … and 1 more",
    "longest window without an acknowledged write:",
    "  no fault: none",
  ]);
  expect(reportText(report).split("\n").length).toBe(6);
});
