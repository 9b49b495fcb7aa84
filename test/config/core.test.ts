import { describe, expect, test } from "bun:test";
import { defaultMaxOpenPartitions } from "../../src/config/core.ts";

describe("defaultMaxOpenPartitions", () => {
  test("follows the open-file limit, within bounds", () => {
    expect(defaultMaxOpenPartitions(1024)).toBe(96);
    expect(defaultMaxOpenPartitions(256)).toBe(16);
    expect(defaultMaxOpenPartitions(1_048_576)).toBe(1000);
    expect(defaultMaxOpenPartitions(null)).toBe(1000);
  });
});
