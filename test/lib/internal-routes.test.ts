import { expect, test } from "bun:test";
import { INTERNAL_PREFIX, INTERNAL_ROUTES, isInternalPath } from "../../src/lib/internal-routes.ts";

test("only paths under /internal are internal", () => {
  expect(isInternalPath("/internal/heartbeat")).toBe(true);
  expect(isInternalPath("/internal")).toBe(true);
  expect(isInternalPath("/internals")).toBe(false);
  expect(isInternalPath("/produce")).toBe(false);
});

test("every broker-to-broker route is under /internal/, each once", () => {
  const paths = Object.values(INTERNAL_ROUTES);
  expect(paths.every((p) => p.startsWith(INTERNAL_PREFIX) && isInternalPath(p))).toBe(true);
  expect(new Set(paths).size).toBe(paths.length);
});
