import { describe, expect, test } from "bun:test";
import { assertInternalAuth, secretMatches } from "../../src/cluster/internal-auth.ts";
import { CLUSTER_SECRET_HEADER } from "../../src/lib/internal-routes.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

function refusal(headers: Record<string, string>, secret: string | undefined): StreamNestError | undefined {
  try {
    assertInternalAuth(new Headers(headers).get(CLUSTER_SECRET_HEADER), secret);
    return undefined;
  } catch (error) {
    if (error instanceof StreamNestError) return error;
    throw error;
  }
}

describe("internal auth", () => {
  test("secrets compare exactly", () => {
    expect(secretMatches("s3cret", "s3cret")).toBe(true);
    expect(secretMatches("s3cret", "s3cre")).toBe(false);
    expect(secretMatches("s3cret", "s3creT")).toBe(false);
    expect(secretMatches("s3cret", null)).toBe(false);
  });

  test("the right secret passes; a missing or wrong one is UNAUTHORIZED (401)", () => {
    expect(refusal({ [CLUSTER_SECRET_HEADER]: "abc" }, "abc")).toBeUndefined();
    const missing = refusal({}, "abc");
    expect(missing?.code).toBe("UNAUTHORIZED");
    expect(missing?.status).toBe(401);
    expect(missing?.message).toContain(CLUSTER_SECRET_HEADER);
    const wrong = refusal({ [CLUSTER_SECRET_HEADER]: "abd" }, "abc");
    expect(wrong?.code).toBe("UNAUTHORIZED");
    expect(wrong?.message).toBe("wrong cluster secret");
  });

  test("a broker without a secret accepts no internal call at all", () => {
    const error = refusal({ [CLUSTER_SECRET_HEADER]: "anything" }, undefined);
    expect(error?.code).toBe("UNAUTHORIZED");
    expect(error?.message).toContain("no cluster secret");
  });
});
