import { expect, test } from "bun:test";
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
