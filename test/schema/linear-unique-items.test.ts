import { describe, expect, test } from "bun:test";
import { compileSchema } from "../../src/schema/compile.ts";

/**
 * `uniqueItems` in one pass (linear-unique-items.ts), in every dialect: JSON Schema's
 * equality (object keys in any order, 1 and 1.0 the same number, "1" and 1 not), ajv's
 * message naming the two items.
 */
describe("uniqueItems", () => {
  for (const $schema of [undefined, "https://json-schema.org/draft/2019-09/schema", "https://json-schema.org/draft/2020-12/schema"])
    test(`duplicates found by JSON equality (${$schema ?? "draft-07"})`, () => {
      const c = compileSchema({ ...($schema === undefined ? {} : { $schema }), type: "array", uniqueItems: true }, 1);
      const dup = (j: number, i: number) => `/ must NOT have duplicate items (items ## ${j} and ${i} are identical)`;
      expect(c.problem("[1,2,3]")).toBeUndefined();
      expect(c.problem("[1,2,1]")).toBe(dup(0, 2));
      expect(c.problem('[{"a":1,"b":2},{"b":2,"a":1}]')).toBe(dup(0, 1));
      expect(c.problem("[[1,[2]],[1,[2]]]")).toBe(dup(0, 1));
      expect(c.problem("[1, 1.0]")).toBe(dup(0, 1));
      expect(c.problem('["1", 1, null, false, 0, "", [], {}]')).toBeUndefined();
      expect(c.problem('[{"a":[1]},{"a":[1,2]},{"a":{"b":1}},{"a":{"b":"1"}}]')).toBeUndefined();
      // Found by a tester: 50,000 numbers (289 KB) were 1.25 billion comparisons, and the
      // broker's thread stalled long enough to lose its leaderships.
      expect(c.problem(JSON.stringify(Array.from({ length: 50_000 }, (_, i) => i)))).toBeUndefined();
      expect(c.problem(JSON.stringify([...Array.from({ length: 50_000 }, (_, i) => ({ n: i })), { n: 7 }]))).toBe(dup(7, 50_000));
    });

  test("false allows duplicates; nested arrays are checked where the keyword is; a non-boolean value does not compile", () => {
    expect(compileSchema({ type: "array", uniqueItems: false }, 1).problem("[1,1]")).toBeUndefined();
    const nested = compileSchema({ type: "object", properties: { tags: { type: "array", uniqueItems: true, items: { type: "string" } } } }, 1);
    expect(nested.problem('{"tags":["a","b","a"]}')).toBe("/tags must NOT have duplicate items (items ## 0 and 2 are identical)");
    expect(nested.problem('{"tags":["a","b"]}')).toBeUndefined();
    expect(() => compileSchema({ type: "array", uniqueItems: "yes" }, 1)).toThrow("data/uniqueItems must be boolean");
  });
});
