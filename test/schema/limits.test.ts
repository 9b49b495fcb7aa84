import { describe, expect, test } from "bun:test";
import { checkNewSchema } from "../../src/schema/compile.ts";
import { assertSchemaLimits, MAX_SCHEMA_BYTES, MAX_SCHEMA_CHECKS, MAX_SCHEMA_DEPTH } from "../../src/schema/limits.ts";
import { refusal } from "../helpers/refusal.ts";


/** d_i = allOf [d_(i-1), d_(i-1)]: 2^n checks per message from a few hundred bytes. */
function doubling(levels: number, ref: (i: number) => string, wrap: (i: number, body: Record<string, unknown>) => Record<string, unknown> = (_, b) => b) {
  const defs: Record<string, unknown> = { d0: wrap(0, { type: "string" }) };
  for (let i = 1; i <= levels; i++) defs[`d${i}`] = wrap(i, { allOf: [{ $ref: ref(i - 1) }, { $ref: ref(i - 1) }] });
  return defs;
}

describe("assertSchemaLimits", () => {
  test("an ordinary schema passes", () => {
    expect(() =>
      assertSchemaLimits({
        type: "object",
        required: ["id"],
        properties: { id: { type: "integer" }, tags: { type: "array", items: { $ref: "#/definitions/tag" } } },
        definitions: { tag: { type: "string", maxLength: 20 } },
      }),
    ).not.toThrow();
  });

  test("a schema over MAX_SCHEMA_BYTES is refused, saying its size", () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 3000; i++) properties[`p${i}`] = { type: "string" };
    const error = refusal(() => assertSchemaLimits({ type: "object", properties }));
    expect(error.code).toBe("INVALID_SCHEMA");
    expect(error.message).toBe(`schema takes ${JSON.stringify({ type: "object", properties }).length} bytes as JSON; the limit is ${MAX_SCHEMA_BYTES}`);
  });

  test("nesting deeper than MAX_SCHEMA_DEPTH is refused without overflowing the stack", () => {
    let deep: unknown = { type: "string" };
    for (let i = 0; i < 200_000; i++) deep = { items: deep };
    expect(refusal(() => assertSchemaLimits(deep as Record<string, unknown>)).message).toBe(
      `schema is nested more than ${MAX_SCHEMA_DEPTH} levels deep; the limit is ${MAX_SCHEMA_DEPTH}`,
    );
    let ok: unknown = { type: "string" };
    for (let i = 0; i < MAX_SCHEMA_DEPTH - 1; i++) ok = { items: ok };
    expect(() => assertSchemaLimits(ok as Record<string, unknown>)).not.toThrow();
  });

  const expansion = `schema expands to more than ${MAX_SCHEMA_CHECKS} checks per message once its $refs are followed; the limit is ${MAX_SCHEMA_CHECKS}`;

  test("$refs that double at every level are refused, by pointer, $id or $anchor", () => {
    const byPointer = { definitions: doubling(30, (i) => `#/definitions/d${i}`), $ref: "#/definitions/d30" };
    expect(refusal(() => assertSchemaLimits(byPointer)).message).toBe(expansion);
    const byId = {
      $id: "http://example.com/root",
      definitions: doubling(30, (i) => `http://example.com/d${i}`, (i, body) => ({ $id: `http://example.com/d${i}`, ...body })),
      $ref: "http://example.com/d30",
    };
    expect(refusal(() => assertSchemaLimits(byId)).message).toBe(expansion);
    const relativeId = {
      $id: "http://example.com/root",
      definitions: doubling(30, (i) => `d${i}`, (i, body) => ({ $id: `http://example.com/d${i}`, ...body })),
      $ref: "d30",
    };
    expect(refusal(() => assertSchemaLimits(relativeId)).message).toBe(expansion);
    const byAnchor = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $defs: doubling(30, (i) => `#a${i}`, (i, body) => ({ $anchor: `a${i}`, ...body })),
      $ref: "#a30",
    };
    expect(refusal(() => assertSchemaLimits(byAnchor)).message).toBe(expansion);
  });

  test("$async at the root is refused (ajv would validate with a Promise); false is fine", () => {
    for (const value of [true, "yes", 1]) {
      const error = refusal(() => assertSchemaLimits({ $async: value, type: "object" }));
      expect([error.code, error.message]).toEqual([
        "INVALID_SCHEMA",
        `"$async" is not supported (got ${JSON.stringify(value)}): every message is checked as it is produced; remove it`,
      ]);
    }
    expect(() => assertSchemaLimits({ $async: false, type: "object" })).not.toThrow();
    expect(() => assertSchemaLimits({ type: "object", properties: { $async: { type: "boolean" } } })).not.toThrow();
  });

  test("a little doubling, and recursive schemas (trees), are fine", () => {
    expect(() => assertSchemaLimits({ definitions: doubling(8, (i) => `#/definitions/d${i}`), $ref: "#/definitions/d8" })).not.toThrow();
    const tree = { type: "object", properties: { value: { type: "integer" }, children: { type: "array", items: { $ref: "#" } } } };
    expect(() => assertSchemaLimits(tree)).not.toThrow();
  });
});

describe("checkNewSchema", () => {
  test("an unknown format is refused, naming it and the known ones", () => {
    const error = refusal(() => checkNewSchema({ type: "string", format: "emial" }));
    expect(error.code).toBe("INVALID_SCHEMA");
    expect(error.message).toStartWith('schema does not compile: unknown format "emial" in schema at path "#"; known formats: date, time, date-time');
    expect(error.message).toContain("email");
    expect(() => checkNewSchema({ type: "string", format: "email" })).not.toThrow();
  });

  test("a $ref that leads back to itself is refused with a clear message", () => {
    expect(refusal(() => checkNewSchema({ definitions: { a: { $ref: "#/definitions/a" } }, $ref: "#/definitions/a" })).message).toBe(
      "schema at #/definitions/a leads back to itself through $ref, allOf, anyOf, oneOf, not or if without descending into the message: it could never finish checking one",
    );
  });

  test("the limits apply before compiling", () => {
    expect(refusal(() => checkNewSchema({ definitions: doubling(30, (i) => `#/definitions/d${i}`), $ref: "#/definitions/d30" })).message).toBe(expansion());
  });

  test("a schema whose $id is a meta-schema's does not break later compiles", () => {
    expect(() => checkNewSchema({ $id: "http://json-schema.org/draft-07/schema#", type: "object" })).not.toThrow();
    expect(() => checkNewSchema({ type: "object", properties: { a: { type: "integer" } } })).not.toThrow();
  });
});

function expansion(): string {
  return `schema expands to more than ${MAX_SCHEMA_CHECKS} checks per message once its $refs are followed; the limit is ${MAX_SCHEMA_CHECKS}`;
}
