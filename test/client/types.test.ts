import { describe, expect, test } from "bun:test";
import { type BatchItemResult, isBatchItemError } from "../../src/client/types.ts";

describe("isBatchItemError", () => {
  test("tells a refused message of a batch from a written one", () => {
    const items: BatchItemResult[] = [
      { partition: 1, offset: 0 },
      { error: "SCHEMA_VIOLATION", message: "not valid" },
    ];
    expect(items.map(isBatchItemError)).toEqual([false, true]);
  });
});
