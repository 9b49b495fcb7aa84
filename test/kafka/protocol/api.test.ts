import { describe, expect, test } from "bun:test";
import { defineApi, isFlexible } from "../../../src/kafka/protocol/api.ts";
import { APIS } from "../../../src/kafka/protocol/apis/index.ts";
import { struct } from "../../../src/kafka/protocol/schema.ts";

describe("API declarations", () => {
  test("flexibility starts at the declared first flexible version", () => {
    expect(isFlexible(APIS.Metadata, 8)).toBe(false);
    expect(isFlexible(APIS.Metadata, 9)).toBe(true);
    expect(isFlexible(APIS.Fetch, 11)).toBe(false);
    expect(isFlexible(APIS.Fetch, 12)).toBe(true);
  });

  test("an empty version range is refused", () => {
    expect(() =>
      defineApi({ key: 99, name: "X", minVersion: 2, maxVersion: 1, flexibleFrom: 9, request: struct(), response: struct() }),
    ).toThrow("X: empty version range");
  });

  test("every API reaches a flexible version (KIP-482), so modern clients get modern versions", () => {
    // SaslHandshake is the one exception: Kafka never made a flexible version of it (v0–v1).
    expect(APIS.SaslHandshake.flexibleFrom).toBe(Infinity);
    for (const api of Object.values(APIS).filter((a) => a.name !== "SaslHandshake")) {
      expect(api.flexibleFrom).toBeGreaterThanOrEqual(api.minVersion);
      expect(api.flexibleFrom).toBeLessThanOrEqual(api.maxVersion);
    }
  });
});
