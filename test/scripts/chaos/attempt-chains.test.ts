import { expect, test } from "bun:test";
import { validateAttempts } from "../../../scripts/chaos/attempt-chains.ts";
import { failed, ok, unknown } from "./history-builders.ts";

test("groups attempts by value, retries with their originals", () => {
  const attempts = [unknown("a1", "v1"), ok("a2", "v2", 0, 0), failed("a3", "v1", { retryOf: "a1" }), ok("a4", "v1", 0, 1, { retryOf: "a3" })];
  const { byValue, violations } = validateAttempts(attempts);
  expect(violations).toEqual([]);
  expect([...byValue].map(([value, group]) => [value, group.map((a) => a.id)])).toEqual([
    ["v1", ["a1", "a3", "a4"]],
    ["v2", ["a2"]],
  ]);
});

test("a retry in another topic is invalid", () => {
  const { violations } = validateAttempts([unknown("a1", "v1"), unknown("a2", "v1", { retryOf: "a1", topic: "u" })]);
  expect(violations).toEqual([{ kind: "invalid-history", message: "attempt a2 retries a1 with another value or topic", attempts: ["a1", "a2"] }]);
});

test("a cycle of retries ends the walk instead of looping, and is not one chain", () => {
  const { violations } = validateAttempts([unknown("a1", "v1", { retryOf: "a2" }), unknown("a2", "v1", { retryOf: "a1" })]);
  expect(violations).toEqual([
    { kind: "invalid-history", message: '"v1" is produced by 2 independent attempts, not one chain of retries', attempts: ["a1", "a2"] },
  ]);
});
