import { expect, test } from "bun:test";
import type { StoredRecord } from "../../src/broker/types.ts";
import { sseEvents } from "../../src/http/sse-frames.ts";

const record = (offset: number, text: string): StoredRecord => ({ offset, key: null, value: new TextEncoder().encode(text), headers: [], timestamp: 5 });

test("a batch is encoded once: every stream sending the same batch gets the same bytes", () => {
  const batch = [record(7, "a"), record(8, "b")];
  const first = sseEvents(batch);
  expect(sseEvents(batch)).toBe(first);
  const text = new TextDecoder().decode(first);
  expect(text.startsWith("id: 7\nevent: record\ndata: {")).toBe(true);
  expect(text.split("\n\n").filter((e) => e !== "").map((e) => e.split("\n")[0])).toEqual(["id: 7", "id: 8"]);
  // An equal but distinct batch (another partition's read) is encoded on its own.
  const other = [record(7, "a"), record(8, "b")];
  const again = sseEvents(other);
  expect(again).not.toBe(first);
  expect(again).toEqual(first);
});
