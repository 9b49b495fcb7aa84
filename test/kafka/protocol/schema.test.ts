import { describe, expect, test } from "bun:test";
import { array, field, inRange, int32, nullable, string, struct, versions } from "../../../src/kafka/protocol/schema.ts";

describe("version ranges in Kafka's notation", () => {
  test("parses N+, N-M, N and none", () => {
    expect(versions("3+")).toEqual({ min: 3, max: Infinity });
    expect(versions("0-7")).toEqual({ min: 0, max: 7 });
    expect(versions("5")).toEqual({ min: 5, max: 5 });
    expect(inRange(versions("none"), 0)).toBe(false);
    expect(inRange(versions("2-4"), 4)).toBe(true);
    expect(inRange(versions("2-4"), 5)).toBe(false);
  });

  test("refuses anything else", () => {
    expect(() => versions("3-")).toThrow("bad version range 3-");
    expect(() => versions("x")).toThrow("bad version range x");
  });
});

describe("declarations", () => {
  test("a field records its name, type, versions, default and tag", () => {
    const f = field("leaderEpoch", int32, "7+", { default: -1 });
    expect(f).toEqual({ name: "leaderEpoch", type: int32, versions: { min: 7, max: Infinity }, default: -1, tag: undefined });
  });

  test("nullable types carry the versions in which null may be sent", () => {
    expect(nullable(array(string), "1+")).toEqual({ kind: "nullable", inner: { kind: "array", element: string }, versions: { min: 1, max: Infinity } });
  });

  test("two tagged fields of one struct may not share a tag", () => {
    expect(() => struct(field("a", int32, "0+", { tag: 1 }), field("b", int32, "0+", { tag: 1 }))).toThrow("duplicate tag 1 on b");
  });
});
