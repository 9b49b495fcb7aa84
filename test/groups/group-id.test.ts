import { describe, expect, test } from "bun:test";
import { assertGroupId, groupIdProblem } from "../../src/groups/group-id.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

describe("group ids", () => {
  test("accept any string Kafka accepts: commas, slashes, spaces, non-ASCII, percent signs", () => {
    for (const id of ["g", "orders-app", "a.b_c-D9", "roundrobin,range", "a/b", "../x", "a b", "é", "a?b", "a%2Fb", "x".repeat(32_767)])
      expect(groupIdProblem(id)).toBeUndefined();
  });

  test("refuse empty, longer than a Kafka STRING, and a lone surrogate", () => {
    expect(groupIdProblem("")).toBe("group id must not be empty");
    expect(groupIdProblem("x".repeat(32_768))).toBe("group id takes 32768 bytes as UTF-8; at most 32767 are allowed");
    expect(groupIdProblem("é".repeat(16_384))).toBe("group id takes 32768 bytes as UTF-8; at most 32767 are allowed");
    expect(groupIdProblem("a\ud800")).toBe("group id is not valid Unicode (a lone surrogate)");
  });

  test("assertGroupId throws INVALID_REQUEST", () => {
    expect(() => assertGroupId("")).toThrow(StreamNestError);
    try {
      assertGroupId("");
    } catch (error) {
      expect((error as StreamNestError).code).toBe("INVALID_REQUEST");
      expect((error as StreamNestError).status).toBe(400);
    }
  });
});
