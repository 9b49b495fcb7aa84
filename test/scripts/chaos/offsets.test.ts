import { expect, test } from "bun:test";
import { checkOffsets } from "../../../scripts/chaos/offsets.ts";
import { checkReplicas } from "../../../scripts/chaos/replicas.ts";
import type { History } from "../../../scripts/chaos/history.ts";
import { ok, read, replica } from "./history-builders.ts";

function check(history: History) {
  return checkOffsets(history, checkReplicas(history.replicas).logs);
}

test("sightings that agree with the final log, or with each other past its end, are consistent", () => {
  const history: History = {
    attempts: [ok("a1", "x", 0, 0), ok("a2", "y", 0, 1)],
    reads: [read(0, 0, "x"), read(0, 1, "y"), read(0, 1, "y", 9)],
    replicas: [replica("b1", 0, 1, ["x"])],
  };
  expect(check(history)).toEqual([]);
});

test("conflicts are listed by topic, partition (as a number) and offset, each with every sighting", () => {
  const history: History = {
    attempts: [ok("a1", "x", 10, 0), ok("a2", "y", 2, 3)],
    reads: [read(10, 0, "z", 4), read(2, 3, "w", 6), read(2, 1, "q", 8)],
    replicas: [replica("b1", 10, 1, ["x"]), replica("b1", 2, 2, ["p", "r"])],
  };
  expect(check(history).map((v) => v.message)).toEqual([
    't/2@1 held "q" (read at 8) and "r" (final log of broker b1)',
    't/2@3 held "y" (ack of a2) and "w" (read at 6)',
    't/10@0 held "x" (ack of a1, final log of broker b1) and "z" (read at 4)',
  ]);
});
