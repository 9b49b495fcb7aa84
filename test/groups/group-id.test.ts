import { describe, expect, test } from "bun:test";
import { assertGroupId, groupIdProblem } from "../../src/groups/group-id.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

describe("group ids", () => {
  test("accept Kafka-style names", () => {
    for (const id of ["g", "orders-app", "a.b_c-D9", "x".repeat(249)]) expect(groupIdProblem(id)).toBeUndefined();
  });

  test("refuse empty, too long, and characters that would need escaping", () => {
    expect(groupIdProblem("")).toBe("group id must not be empty");
    expect(groupIdProblem("x".repeat(250))).toBe("group id is 250 characters long; at most 249 are allowed");
    for (const id of ["a/b", "../x", "a b", "é", "a?b", "a%2Fb"])
      expect(groupIdProblem(id)).toBe(`group id "${id}" may contain only ASCII letters, digits, '.', '_' and '-'`);
  });

  test("assertGroupId throws INVALID_REQUEST", () => {
    expect(() => assertGroupId("a/b")).toThrow(StreamNestError);
    try {
      assertGroupId("");
    } catch (error) {
      expect((error as StreamNestError).code).toBe("INVALID_REQUEST");
      expect((error as StreamNestError).status).toBe(400);
    }
  });
});
