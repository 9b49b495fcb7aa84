import { describe, expect, test } from "bun:test";
import { checkNewSchema, compileSchema } from "../../src/schema/compile.ts";
import { refusal } from "../helpers/refusal.ts";


/**
 * Patterns in schemas are matched by RE2 (linear time), so a pattern that makes a
 * backtracking engine take exponential time cannot stall the broker.
 */
describe("schema patterns match in linear time", () => {
  test("a catastrophic-backtracking pattern answers at once on a long message", () => {
    const schema = { type: "string", pattern: "^(a+)+$" };
    checkNewSchema(schema);
    const compiled = compileSchema(schema, 1);
    // With JavaScript's RegExp this input takes longer than the universe's age.
    const evil = JSON.stringify(`${"a".repeat(50_000)}!`);
    const error = refusal(() => compiled.check(evil, "t"));
    expect(error.code).toBe("SCHEMA_VIOLATION");
    expect(error.message).toBe('message does not match schema version 1 of topic "t": message must match pattern "^(a+)+$"');
    compiled.check(JSON.stringify("a".repeat(50_000)), "t");
  });

  test("JavaScript pattern syntax users write is understood: classes, \\u escapes, named groups, \\p{L}, escaped /", () => {
    const schema = {
      type: "object",
      properties: {
        email: { type: "string", pattern: "^[a-z0-9._-]+@[a-z0-9-]+\\.[a-z]{2,}$" },
        accent: { type: "string", pattern: "^caf\\u00e9$" },
        date: { type: "string", pattern: "^(?<year>\\d{4})-(?<month>\\d\\d)$" },
        word: { type: "string", pattern: "^\\p{L}+$" },
        path: { type: "string", pattern: "^\\/api\\/v\\d$" },
      },
      patternProperties: { "^x-[a-z]+$": { type: "integer" } },
      propertyNames: { pattern: "^[a-z-]+$" },
    };
    checkNewSchema(schema);
    const compiled = compileSchema(schema, 2);
    compiled.check(JSON.stringify({ email: "ana@example.org", accent: "café", date: "2026-11", word: "Grüße", path: "/api/v2", "x-n": 3 }), "t");
    const error = refusal(() =>
      compiled.check(JSON.stringify({ email: "ana@", accent: "cafe", date: "26-11", word: "a1", path: "api/v2", "x-n": "3", Upper: 1 }), "t"),
    );
    const details = error.details as { violations: { path: string; keyword: string }[] };
    expect(details.violations.map((v) => `${v.path}:${v.keyword}`).sort()).toEqual([
      "/accent:pattern",
      "/date:pattern",
      "/email:pattern",
      "/path:pattern",
      "/word:pattern",
      "/x-n:type",
      ":pattern",
      ":propertyNames",
    ]);
  });

  test("lookaround and backreferences are refused at registration, naming the pattern", () => {
    for (const pattern of ["^(?=.*\\d)\\w+$", "^(a)\\1$", "(?<!x)y"]) {
      const error = refusal(() => checkNewSchema({ type: "string", pattern }));
      expect(error.code).toBe("INVALID_SCHEMA");
      expect(error.message).toContain(`pattern ${JSON.stringify(pattern)} is not supported`);
      expect(error.message).toContain("no lookaround and no backreferences");
    }
  });

  test("a stored version with a pattern RE2 cannot take still loads and checks (JavaScript's RegExp)", () => {
    const compiled = compileSchema({ type: "string", pattern: "^(?=.*\\d)\\w+$" }, 4);
    compiled.check(JSON.stringify("abc1"), "t");
    expect(refusal(() => compiled.check(JSON.stringify("abc"), "t")).code).toBe("SCHEMA_VIOLATION");
  });
});
