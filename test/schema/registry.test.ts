import { expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import { SchemaRegistry } from "../../src/schema/registry.ts";

test("latest() compiles the newest version once and keys by the stored version itself", () => {
  const registry = new SchemaRegistry();
  expect(registry.latest([])).toBeUndefined();
  const v1 = { version: 1, schema: { type: "string" } };
  const v2 = { version: 2, schema: { type: "number" } };
  const first = registry.latest([v1]);
  expect(first?.version).toBe(1);
  expect(registry.latest([v1])).toBe(first as NonNullable<typeof first>);
  const second = registry.latest([v1, v2]);
  expect(second?.version).toBe(2);
  second?.check("5", "t");
  expect(() => second?.check('"x"', "t")).toThrow();
  // A topic created again has new version objects, even with the same number.
  const recreated = { version: 1, schema: { type: "boolean" } };
  const third = registry.latest([recreated]);
  expect(third).not.toBe(first as NonNullable<typeof first>);
  third?.check("true", "t");
});

test("a stored schema with $async (accepted by older versions) checks every message synchronously", () => {
  const registry = new SchemaRegistry();
  const stored = { version: 1, schema: { $async: true, type: "object", required: ["id"] } };
  const compiled = registry.latest([stored]);
  expect(compiled?.check('{"id":1}', "t")).toBeUndefined();
  let refused: unknown;
  try {
    compiled?.check("{}", "t");
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(StreamNestError);
  expect((refused as StreamNestError).code).toBe("SCHEMA_VIOLATION");
  expect((refused as StreamNestError).message).toBe(`message does not match schema version 1 of topic "t": message must have required property 'id'`);
  // What the metadata holds is left as it was registered.
  expect(stored.schema.$async).toBe(true);
});
