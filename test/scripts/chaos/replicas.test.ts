import { expect, test } from "bun:test";
import { checkReplicas } from "../../../scripts/chaos/replicas.ts";
import { replica, TOPIC } from "./history-builders.ts";

test("the partition's log is the replica with the highest high watermark, cut there", () => {
  const { logs, violations } = checkReplicas([
    replica("b1", 0, 1, ["x", "y"]),
    replica("b3", 0, 2, ["x", "y", "z"]),
    replica("b2", 0, 2, ["x", "y"]),
  ]);
  expect(violations).toEqual([]);
  expect([...logs.keys()]).toEqual(["t/0"]);
  expect(logs.get("t/0")).toEqual({
    topic: TOPIC,
    partition: 0,
    reference: "b3",
    highWatermark: 2,
    committed: new Map([
      [0, "x"],
      [1, "y"],
    ]),
    uncommitted: new Map([[2, "z"]]),
  });
});

test("between equal high watermarks and lengths the first broker by name is the reference", () => {
  const { logs, violations } = checkReplicas([replica("b2", 3, 1, ["p"]), replica("b1", 3, 1, ["q"])]);
  expect(logs.get("t/3")?.reference).toBe("b1");
  expect(violations.map((v) => v.kind === "divergent" && [v.broker, v.reference, v.expected, v.found])).toEqual([["b2", "b1", "q", "p"]]);
});

test("records above the high watermark may differ between replicas", () => {
  const { violations } = checkReplicas([replica("b1", 0, 1, ["x", "leader's"]), replica("b2", 0, 1, ["x", "follower's"])]);
  expect(violations).toEqual([]);
});

test("a repeated offset is a gap", () => {
  const { violations } = checkReplicas([
    {
      topic: TOPIC,
      partition: 0,
      broker: "b1",
      highWatermark: 2,
      records: [
        { offset: 0, value: "x" },
        { offset: 0, value: "y" },
      ],
    },
  ]);
  expect(violations).toEqual([
    { kind: "gap", message: "t/0 on broker b1: offset 0 follows 0 (expected 1)", topic: TOPIC, partition: 0, broker: "b1", expectedOffset: 1, foundOffset: 0 },
  ]);
});
