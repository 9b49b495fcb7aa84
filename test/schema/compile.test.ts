import { describe, expect, test } from "bun:test";
import { assertSchemaObject, checkNewSchema, compileSchema } from "../../src/schema/compile.ts";
import { refusal } from "../helpers/refusal.ts";


describe("compileSchema", () => {
  test("draft-07 by default: every violation is listed (allErrors)", () => {
    const schema = compileSchema(
      {
        type: "object",
        required: ["id", "name"],
        properties: { id: { type: "integer" }, tags: { type: "array", items: { type: "string" } } },
      },
      3,
    );
    schema.check('{"id":1,"name":"x"}', "t");
    const error = refusal(() => schema.check('{"id":"one","tags":[1,"a",2]}', "t"));
    expect(error.code).toBe("SCHEMA_VIOLATION");
    const details = error.details as { schema_version: number; violations: { path: string; keyword: string }[] };
    expect(details.schema_version).toBe(3);
    expect(details.violations.map((v) => `${v.path}:${v.keyword}`).sort()).toEqual(["/id:type", "/tags/0:type", "/tags/2:type", ":required"]);
    expect(error.message).toContain('topic "t"');
  });

  test("draft 2019-09 and 2020-12 by $schema", () => {
    const s2020 = compileSchema(
      { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", dependentRequired: { a: ["b"] } },
      1,
    );
    s2020.check('{"a":1,"b":2}', "t");
    expect(refusal(() => s2020.check('{"a":1}', "t")).code).toBe("SCHEMA_VIOLATION");
    const s2019 = compileSchema({ $schema: "https://json-schema.org/draft/2019-09/schema", type: "array", minContains: 2, contains: { const: 1 } }, 1);
    s2019.check("[1,1,0]", "t");
    expect(refusal(() => s2019.check("[1,0]", "t")).code).toBe("SCHEMA_VIOLATION");
    const s07 = compileSchema({ $schema: "http://json-schema.org/draft-07/schema#", type: "string" }, 1);
    s07.check('"x"', "t");
  });

  test("formats are checked (ajv-formats)", () => {
    const schema = compileSchema({ type: "object", properties: { at: { type: "string", format: "date-time" }, ip: { format: "ipv4" } } }, 1);
    schema.check('{"at":"2024-01-02T03:04:05Z","ip":"10.0.0.1"}', "t");
    const error = refusal(() => schema.check('{"at":"yesterday","ip":"999.1.1.1"}', "t"));
    expect((error.details as { violations: unknown[] }).violations).toHaveLength(2);
  });

  test("two schemas with the same $id do not collide", () => {
    const a = compileSchema({ $id: "https://example.com/user", type: "string" }, 1);
    const b = compileSchema({ $id: "https://example.com/user", type: "number" }, 2);
    a.check('"x"', "t");
    b.check("5", "t");
    expect(refusal(() => a.check("5", "t")).code).toBe("SCHEMA_VIOLATION");
  });

  test("a message that is not JSON is a violation", () => {
    const error = refusal(() => compileSchema({}, 1).check("{oops", "t"));
    expect(error.code).toBe("SCHEMA_VIOLATION");
    expect(error.message).toContain("not valid JSON");
  });

  const invalid: [string, unknown, string][] = [
    ["an array", [], "JSON object"],
    ["null", null, "JSON object"],
    ["a string", "x", "JSON object"],
    ["a boolean", true, "JSON object"],
    ["an unknown type", { type: "objec" }, "does not compile"],
    ["a remote $ref", { $ref: "https://example.com/x.json" }, "does not compile"],
    ["a non-string $schema", { $schema: 7 }, "$schema"],
    ["an unsupported dialect", { $schema: "http://json-schema.org/draft-04/schema#" }, "unsupported"],
  ];
  for (const [label, schema, mention] of invalid)
    test(`${label} is INVALID_SCHEMA`, () => {
      const error = refusal(() => compileSchema(schema, 1));
      expect(error.code).toBe("INVALID_SCHEMA");
      expect(error.message).toContain(mention);
    });

  test('a recursive schema ("$ref": "#", a tree) compiles and checks every level, with or without $id, in every dialect', () => {
    const tree = {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#" } } },
    };
    for (const schema of [tree, { ...tree, $id: "https://example.com/tree" }, { ...tree, $schema: "https://json-schema.org/draft/2020-12/schema" }]) {
      checkNewSchema(schema);
      const compiled = compileSchema(schema, 1);
      compiled.check(JSON.stringify({ name: "a", children: [{ name: "b", children: [{ name: "c" }] }] }), "t");
      const error = refusal(() => compiled.check(JSON.stringify({ name: "a", children: [{ name: "b", children: [{ name: 3 }] }] }), "t"));
      expect(error.message).toBe('message does not match schema version 1 of topic "t": /children/0/children/0/name must be string');
    }
    // A relative $id inside resolves against the root, and "#" there means that subschema.
    const nested = { type: "object", properties: { a: { $id: "sub.json", type: "object", properties: { b: { $ref: "#" }, n: { type: "integer" } } } } };
    checkNewSchema(nested);
    expect(refusal(() => compileSchema(nested, 2).check('{"a":{"b":{"n":"x"}}}', "t")).message).toBe(
      'message does not match schema version 2 of topic "t": /a/b/n must be integer',
    );
    // An unresolvable $ref names only what the client wrote.
    expect(refusal(() => checkNewSchema({ $ref: "other.json" })).message).toBe("schema does not compile: can't resolve reference other.json");
    // The schema handed in is not changed (no $id added to what is stored).
    expect(Object.keys(tree)).toEqual(["type", "required", "properties"]);
  });

  test("assertSchemaObject accepts objects only", () => {
    expect(() => assertSchemaObject({})).not.toThrow();
    expect(refusal(() => assertSchemaObject([])).message).toContain("an array");
  });
});

describe("memory", () => {
  test("compiling thousands of schemas keeps ajv's cache bounded", async () => {
    const { cachedSchemaCount } = await import("../../src/schema/compile.ts");
    for (let i = 0; i < 2000; i++) compileSchema({ type: "object", properties: { [`p${i}`]: { type: "string" } } }, i);
    // Before: every compiled schema stayed cached for the broker's lifetime (2,000+ here).
    expect(cachedSchemaCount()).toBeLessThan(300);
  });

  test("a stored schema with an unknown format still compiles (it was accepted before formats were checked)", () => {
    const stored = compileSchema({ type: "string", format: "nosuchformat" }, 1);
    expect(() => stored.check('"anything"', "t")).not.toThrow();
  });
});
