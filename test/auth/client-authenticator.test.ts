import { describe, expect, test } from "bun:test";
import { issueApiToken } from "../../src/auth/api-token.ts";
import { ClientAuthenticator } from "../../src/auth/client-authenticator.ts";
import { ANONYMOUS, userPrincipal } from "../../src/auth/principal.ts";

describe("ClientAuthenticator", () => {
  const alice = userPrincipal("alice");
  const issued = issueApiToken(alice, { now: 1_000, ttlMs: 60_000 });
  const lookup = (id: string) => (id === issued.record.id ? issued.record : undefined);

  test("with authentication off everyone is ANONYMOUS, whatever they send", () => {
    const none = new ClientAuthenticator("none", lookup);
    expect(none.authenticate(null)).toBe(ANONYMOUS);
    expect(none.authenticate("Bearer nonsense")).toBe(ANONYMOUS);
  });

  test("with tokens: a valid bearer token is its principal; missing, malformed, wrong and expired ones are refused", () => {
    let now = 2_000;
    const auth = new ClientAuthenticator("token", lookup, () => now);
    expect(auth.authenticate(`Bearer ${issued.token}`)).toBe(alice);
    expect(auth.authenticate(`bearer  ${issued.token}`)).toBe(alice);
    expect(() => auth.authenticate(null)).toThrow("this broker needs an API token: send Authorization: Bearer <token>");
    expect(() => auth.authenticate(issued.token)).toThrow("the Authorization header must be Bearer <token>");
    expect(() => auth.authenticate("Bearer a b")).toThrow("the Authorization header must be Bearer <token>");
    expect(() => auth.authenticate(`Bearer ${issued.token.slice(0, -1)}B`)).toThrow("invalid API token");
    now = 61_000;
    expect(() => auth.authenticate(`Bearer ${issued.token}`)).toThrow(`API token ${issued.record.id} expired at 1970-01-01T00:01:01.000Z`);
  });
});
