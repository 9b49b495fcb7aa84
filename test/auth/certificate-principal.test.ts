import { describe, expect, test } from "bun:test";
import { certificatePrincipal } from "../../src/auth/certificate-principal.ts";

describe("certificatePrincipal", () => {
  test("the subject's CN is the user", () => {
    expect(certificatePrincipal({ subject: { CN: "alice", O: "Example" } })).toBe("User:alice");
    expect(certificatePrincipal({ subject: { CN: "svc payments" } })).toBe("User:svc payments");
  });

  test("no principal without exactly one usable CN: none, several, empty, the wildcard, control characters", () => {
    for (const subject of [undefined, {}, { O: "Example" }, { CN: ["a", "b"] }, { CN: "" }, { CN: "*" }, { CN: "a\u0000b" }, { CN: "x".repeat(257) }])
      expect(certificatePrincipal(subject === undefined ? undefined : { subject })).toBeUndefined();
    expect(certificatePrincipal({})).toBeUndefined();
  });
});
