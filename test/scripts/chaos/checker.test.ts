import { describe, expect, test } from "bun:test";
import { checkHistory } from "../../../scripts/chaos/checker.ts";
import type { History } from "../../../scripts/chaos/history.ts";
import { VIOLATION_KINDS, type ViolationKind } from "../../../scripts/chaos/violations.ts";
import { cleanHistory, everyReplica, failed, ok, read, replica, TOPIC, unknown, withReplicas } from "./history-builders.ts";

function noViolations(): Record<ViolationKind, number> {
  return Object.fromEntries(VIOLATION_KINDS.map((kind) => [kind, 0])) as Record<ViolationKind, number>;
}

function kinds(history: History): ViolationKind[] {
  return checkHistory(history).violations.map((v) => v.kind);
}

describe("a clean history", () => {
  test("is valid, with every count exact", () => {
    expect(checkHistory(cleanHistory())).toEqual({
      valid: true,
      violations: [],
      counts: {
        attempts: 8,
        ok: 3,
        failed: 1,
        unknown: 4,
        retries: 1,
        values: 7,
        acknowledgedValues: 3,
        presentValues: 4,
        unknownPresent: 1,
        duplicatedValues: 1,
        reads: 3,
        partitions: 2,
        replicas: 6,
        committedRecords: 5,
        uncommittedRecords: 1,
        violations: noViolations(),
      },
    });
  });

  test("an empty history is valid", () => {
    const report = checkHistory({ attempts: [], reads: [], replicas: [] });
    expect(report.valid).toBe(true);
    expect(report.counts.attempts).toBe(0);
    expect(report.counts.partitions).toBe(0);
  });
});

describe("acknowledged writes", () => {
  test("an acknowledged value missing from the final log is lost", () => {
    const report = checkHistory(withReplicas(cleanHistory(), 0, everyReplica(0, 1, ["v1"])));
    expect(report.valid).toBe(false);
    expect(report.violations).toEqual([
      {
        kind: "lost",
        message: 'attempt a2: "v2" acknowledged at t/0@1 is not in the final log (that offset holds nothing)',
        attempt: "a2",
        value: "v2",
        acked: { topic: TOPIC, partition: 0, offset: 1 },
        foundThere: null,
        aboveHighWatermark: false,
      },
      // The run had read it: a committed record later gone.
      { kind: "phantom-read", message: '"v2" read at t/0@1 at 7 is not in the final log', read: read(0, 1, "v2", 7) },
    ]);
    expect(report.counts.violations).toEqual({ ...noViolations(), lost: 1, "phantom-read": 1 });
  });

  test("an acknowledged value only above the high watermark is lost, and says so", () => {
    const history = withReplicas(cleanHistory(), 0, everyReplica(0, 1, ["v1", "v2", "v9"]));
    history.reads = history.reads.filter((r) => r.offset === 0);
    const report = checkHistory(history);
    expect(report.violations).toEqual([
      {
        kind: "lost",
        message: 'attempt a2: "v2" acknowledged at t/0@1 is not in the final log (that offset holds nothing; the value is only above the high watermark)',
        attempt: "a2",
        value: "v2",
        acked: { topic: TOPIC, partition: 0, offset: 1 },
        foundThere: null,
        aboveHighWatermark: true,
      },
    ]);
    expect(report.counts.uncommittedRecords).toBe(3);
  });

  test("an acknowledged value at another offset is a wrong offset, and its acknowledged offset is inconsistent", () => {
    const history = cleanHistory();
    history.attempts[1] = ok("a2", "v2", 0, 2);
    history.reads = [];
    expect(checkHistory(history).violations).toEqual([
      {
        kind: "wrong-offset",
        message: 'attempt a2: "v2" acknowledged at t/0@2 is at t/0@1 instead',
        attempt: "a2",
        value: "v2",
        acked: { topic: TOPIC, partition: 0, offset: 2 },
        foundAt: [{ topic: TOPIC, partition: 0, offset: 1 }],
      },
      {
        kind: "inconsistent-offset",
        message: 't/0@2 held "v2" (ack of a2) and "v9" (final log of broker b1)',
        place: { topic: TOPIC, partition: 0, offset: 2 },
        values: [
          { value: "v2", seenBy: ["ack of a2"] },
          { value: "v9", seenBy: ["final log of broker b1"] },
        ],
      },
    ]);
  });
});

describe("copies of a value", () => {
  test("a second copy without an unknown outcome behind it is a duplicate", () => {
    const report = checkHistory(withReplicas(cleanHistory(), 0, everyReplica(0, 4, ["v1", "v2", "v9", "v1"])));
    expect(report.violations).toEqual([
      {
        kind: "duplicate",
        message: '"v1" has 2 copies (t/0@0, t/0@3) but only 1 attempt(s) could have written it (ok: a1; unknown: none)',
        value: "v1",
        copies: [
          { topic: TOPIC, partition: 0, offset: 0 },
          { topic: TOPIC, partition: 0, offset: 3 },
        ],
        okAttempts: ["a1"],
        unknownAttempts: [],
      },
    ]);
    expect(report.counts.duplicatedValues).toBe(2);
  });

  test("a retry of a clean failure does not license a duplicate", () => {
    const history = cleanHistory();
    history.attempts[2] = failed("a3", "v3");
    expect(kinds(history)).toEqual(["duplicate"]);
  });

  test("a value whose every attempt failed, found in the log, is a failed write present", () => {
    const history = withReplicas(cleanHistory(), 1, everyReplica(1, 3, ["v3", "v3", "v5"]));
    expect(checkHistory(history).violations).toEqual([
      {
        kind: "failed-write-present",
        message: '"v5" is at t/1@2 although every attempt (a5) failed',
        value: "v5",
        copies: [{ topic: TOPIC, partition: 1, offset: 2 }],
        attempts: ["a5"],
      },
    ]);
  });

  test("a value no attempt produced is unexpected", () => {
    const history = withReplicas(cleanHistory(), 1, everyReplica(1, 3, ["v3", "v3", "zz"]));
    expect(checkHistory(history).violations).toEqual([
      { kind: "unexpected-value", message: '"zz" at t/1@2 was never produced', value: "zz", copies: [{ topic: TOPIC, partition: 1, offset: 2 }] },
    ]);
  });

  test("a copy in a partition its attempts did not ask for is misplaced", () => {
    const history = withReplicas(cleanHistory(), 0, everyReplica(0, 4, ["v1", "v2", "v9", "v10"]));
    history.attempts.push(unknown("a10", "v10", { partition: 1 }));
    expect(checkHistory(history).violations).toEqual([
      {
        kind: "misplaced",
        message: '"v10" at t/0@3, where none of a10 produced it',
        value: "v10",
        at: { topic: TOPIC, partition: 0, offset: 3 },
        attempts: ["a10"],
      },
    ]);
  });

  test("a copy in another topic is misplaced", () => {
    const history = cleanHistory();
    history.replicas.push({ topic: "other", partition: 0, broker: "b1", highWatermark: 1, records: [{ offset: 0, value: "v6" }] });
    expect(kinds(history)).toEqual(["misplaced"]);
  });
});

describe("offsets and reads", () => {
  test("a read during the run that saw another value at an offset is inconsistent (and moved)", () => {
    const history = cleanHistory();
    history.reads.push(read(0, 1, "v9", 9));
    expect(checkHistory(history).violations).toEqual([
      {
        kind: "inconsistent-offset",
        message: 't/0@1 held "v2" (ack of a2, read at 7, final log of broker b1) and "v9" (read at 9)',
        place: { topic: TOPIC, partition: 0, offset: 1 },
        values: [
          { value: "v2", seenBy: ["ack of a2", "read at 7", "final log of broker b1"] },
          { value: "v9", seenBy: ["read at 9"] },
        ],
      },
      {
        kind: "moved-read",
        message: '"v9" read at t/0@1 at 9 is at t/0@2 in the final log',
        read: read(0, 1, "v9", 9),
        foundAt: [{ topic: TOPIC, partition: 0, offset: 2 }],
      },
    ]);
  });

  test("two reads disagreeing about an offset past the final log are inconsistent", () => {
    const history = cleanHistory();
    history.reads.push({ ...read(1, 5, "v6", 10), broker: "b2" }, { ...read(1, 5, "v8", 11), broker: "b3" });
    expect(kinds(history)).toEqual(["inconsistent-offset", "phantom-read", "phantom-read"]);
    expect(checkHistory(history).violations[0].message).toBe('t/1@5 held "v6" (read at 10 from broker b2) and "v8" (read at 11 from broker b3)');
  });

  test("a value read during the run that is not in the final log is a phantom read", () => {
    const history = cleanHistory();
    history.reads.push({ ...read(1, 2, "v8", 12), broker: "b1" });
    expect(checkHistory(history).violations).toEqual([
      { kind: "phantom-read", message: '"v8" read at t/1@2 at 12 from broker b1 is not in the final log', read: { ...read(1, 2, "v8", 12), broker: "b1" } },
    ]);
  });

  test("a value read at an offset the final log no longer reaches is a moved read", () => {
    const history = cleanHistory();
    history.reads.push(read(0, 3, "v9", 13));
    expect(kinds(history)).toEqual(["moved-read"]);
  });
});

describe("replicas", () => {
  test("a replica differing below the high watermark is divergent", () => {
    const history = withReplicas(cleanHistory(), 0, [
      replica("b1", 0, 3, ["v1", "v2", "v9"]),
      replica("b2", 0, 3, ["v1", "v2", "v9"]),
      replica("b3", 0, 3, ["v1", "vX", "v9"]),
    ]);
    expect(checkHistory(history).violations).toEqual([
      {
        kind: "divergent",
        message: 't/0: broker b3 differs from broker b1 at 1 offset(s) below the high watermark 3; first at 1: "vX" instead of "v2"',
        topic: TOPIC,
        partition: 0,
        broker: "b3",
        reference: "b1",
        firstOffset: 1,
        expected: "v2",
        found: "vX",
        differingOffsets: 1,
      },
    ]);
  });

  test("a follower missing committed records is divergent, whatever its own high watermark", () => {
    const history = withReplicas(cleanHistory(), 0, [
      replica("b1", 0, 3, ["v1", "v2", "v9"]),
      replica("b2", 0, 1, ["v1"]),
      replica("b3", 0, 3, ["v1", "v2", "v9"]),
    ]);
    const [violation] = checkHistory(history).violations;
    expect(checkHistory(history).violations.length).toBe(1);
    expect(violation).toMatchObject({ kind: "divergent", broker: "b2", firstOffset: 1, expected: "v2", found: null, differingOffsets: 2 });
  });

  test("a hole in the offsets is a gap on every replica that has it", () => {
    const values = [
      { offset: 0, value: "v1" },
      { offset: 1, value: "v2" },
      { offset: 3, value: "v9" },
    ];
    const history = withReplicas(
      cleanHistory(),
      0,
      ["b1", "b2", "b3"].map((broker) => ({ topic: TOPIC, partition: 0, broker, highWatermark: 4, records: values })),
    );
    expect(checkHistory(history).violations).toEqual(
      ["b1", "b2", "b3"].map((broker) => ({
        kind: "gap",
        message: `t/0 on broker ${broker}: offset 3 follows 1 (expected 2)`,
        topic: TOPIC,
        partition: 0,
        broker,
        expectedOffset: 2,
        foundOffset: 3,
      })),
    );
  });

  test("a log shorter than its own high watermark is a gap", () => {
    const history = withReplicas(cleanHistory(), 1, [
      replica("b1", 1, 2, ["v3", "v3"]),
      replica("b2", 1, 2, ["v3", "v3"]),
      replica("b3", 1, 2, ["v3"]),
    ]);
    const report = checkHistory(history);
    expect(report.violations.map((v) => v.kind)).toEqual(["gap", "divergent"]);
    expect(report.violations[0]).toEqual({
      kind: "gap",
      message: "t/1 on broker b3: log ends at 1 below its high watermark 2",
      topic: TOPIC,
      partition: 1,
      broker: "b3",
      expectedOffset: 1,
      foundOffset: null,
    });
  });
});

describe("the history itself", () => {
  test("duplicate ids, dangling or mismatched retries and values produced twice are invalid", () => {
    const history = cleanHistory();
    history.attempts.push(
      unknown("a6", "v66"),
      unknown("r1", "v2", { retryOf: "nope" }),
      unknown("r2", "other", { retryOf: "a1" }),
      unknown("b1", "v1"),
    );
    const report = checkHistory(history);
    expect(report.violations.map((v) => v.kind)).toEqual(Array(5).fill("invalid-history"));
    expect(report.violations.map((v) => v.message)).toEqual([
      "attempt id a6 is used twice",
      "attempt r1 retries nope, which is not in the history",
      "attempt r2 retries a1 with another value or topic",
      '"v1" is produced by 2 independent attempts, not one chain of retries',
      // A retry of nothing cannot join the chain of the value's first attempt.
      '"v2" is produced by 2 independent attempts, not one chain of retries',
    ]);
    expect(report.valid).toBe(false);
  });

  test("a partition read twice from one broker is invalid", () => {
    const history = cleanHistory();
    history.replicas.push(replica("b2", 0, 3, ["v1", "v2", "v9"]));
    expect(checkHistory(history).violations).toEqual([{ kind: "invalid-history", message: "t/0 was read twice from broker b2", attempts: [] }]);
  });
});
