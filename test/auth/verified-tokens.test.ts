import { describe, expect, test } from "bun:test";
import { type ApiTokenRecord, issueApiToken } from "../../src/auth/api-token.ts";
import { ClientAuthenticator } from "../../src/auth/client-authenticator.ts";
import { userPrincipal } from "../../src/auth/principal.ts";
import type { SecurityChange } from "../../src/auth/security-change.ts";
import {
  EMPTY_SECURITY_STATE,
  type SecurityState,
  apiTokenLookup,
  applySecurityChange,
  securityStateFromJSON,
  securityStateToJSON,
} from "../../src/auth/security-state.ts";
import { VerifiedTokens } from "../../src/auth/verified-tokens.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const NOW = 1_800_000_000_000;
const alice = userPrincipal("alice");

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof StreamNestError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a refusal");
}

const INVALID = { code: "UNAUTHORIZED", message: "invalid API token" };

describe("VerifiedTokens", () => {
  test("a token verified once is its principal again, remembered once, while its record stands", () => {
    const issued = issueApiToken(alice, { now: NOW });
    const tokens = new VerifiedTokens();
    const lookup = (id: string) => (id === issued.record.id ? issued.record : undefined);
    expect(tokens.verify(issued.token, lookup, NOW)).toBe(alice);
    expect(tokens.size).toBe(1);
    expect(tokens.verify(issued.token, lookup, NOW + 1)).toBe(alice);
    expect(tokens.size).toBe(1);
  });

  test("after a success, the same id with another secret is refused, and the right token still works", () => {
    const issued = issueApiToken(alice, { now: NOW });
    const tokens = new VerifiedTokens();
    const lookup = (id: string) => (id === issued.record.id ? issued.record : undefined);
    expect(tokens.verify(issued.token, lookup, NOW)).toBe(alice);
    const last = issued.token.at(-1) === "A" ? "B" : "A";
    expect(refusal(() => tokens.verify(`${issued.token.slice(0, -1)}${last}`, lookup, NOW))).toEqual(INVALID);
    expect(tokens.verify(issued.token, lookup, NOW)).toBe(alice);
  });

  test("a record gone from the lookup (revoked) refuses the remembered token at once, and forgets it", () => {
    const issued = issueApiToken(alice, { now: NOW });
    const tokens = new VerifiedTokens();
    let current: ApiTokenRecord | undefined = issued.record;
    const lookup = (id: string) => (id === issued.record.id ? current : undefined);
    expect(tokens.verify(issued.token, lookup, NOW)).toBe(alice);
    current = undefined;
    expect(refusal(() => tokens.verify(issued.token, lookup, NOW))).toEqual(INVALID);
    expect(tokens.size).toBe(0);
  });

  test("another record under the same id is checked against its own hash, not the remembered one", () => {
    const issued = issueApiToken(alice, { now: NOW });
    const other = issueApiToken(alice, { now: NOW });
    const tokens = new VerifiedTokens();
    let current: ApiTokenRecord = issued.record;
    const lookup = (id: string) => (id === issued.record.id ? current : undefined);
    expect(tokens.verify(issued.token, lookup, NOW)).toBe(alice);
    current = { ...issued.record, sha256: other.record.sha256 };
    expect(refusal(() => tokens.verify(issued.token, lookup, NOW))).toEqual(INVALID);
    current = { ...issued.record };
    expect(tokens.verify(issued.token, lookup, NOW)).toBe(alice);
  });

  test("a remembered token is refused once it expires", () => {
    const issued = issueApiToken(alice, { now: NOW, ttlMs: 60_000 });
    const tokens = new VerifiedTokens();
    const lookup = (id: string) => (id === issued.record.id ? issued.record : undefined);
    expect(tokens.verify(issued.token, lookup, NOW + 59_999)).toBe(alice);
    expect(refusal(() => tokens.verify(issued.token, lookup, NOW + 60_000))).toEqual({
      code: "UNAUTHORIZED",
      message: `API token ${issued.record.id} expired at ${new Date(NOW + 60_000).toISOString()}`,
    });
  });

  test("holds at most `max` tokens, forgetting the oldest first; a forgotten one is verified again", () => {
    const issued = [1, 2, 3].map(() => issueApiToken(alice, { now: NOW }));
    const records = new Map(issued.map((i) => [i.record.id, i.record]));
    const lookup = (id: string) => records.get(id);
    const tokens = new VerifiedTokens(2);
    for (const i of issued) expect(tokens.verify(i.token, lookup, NOW)).toBe(alice);
    expect(tokens.size).toBe(2);
    expect(tokens.verify((issued[0] as { token: string }).token, lookup, NOW)).toBe(alice);
    expect(tokens.size).toBe(2);
  });

  test("malformed and unknown tokens are refused and nothing is remembered", () => {
    const tokens = new VerifiedTokens();
    expect(refusal(() => tokens.verify("nonsense", () => undefined, NOW))).toEqual(INVALID);
    expect(refusal(() => tokens.verify(issueApiToken(alice, { now: NOW }).token, () => undefined, NOW))).toEqual(INVALID);
    expect(tokens.size).toBe(0);
  });
});

describe("VerifiedTokens.recall", () => {
  const issued = issueApiToken(alice, { now: NOW });
  const header = `Bearer ${issued.token}`;
  const clock = () => NOW;

  test("recalls nothing before the token is verified, then its principal from the header as clients write it", () => {
    const tokens = new VerifiedTokens();
    const lookup = (id: string) => (id === issued.record.id ? issued.record : undefined);
    expect(tokens.recall(header, lookup, clock)).toBeUndefined();
    expect(tokens.verify(issued.token, lookup, NOW)).toBe(alice);
    expect(tokens.recall(header, lookup, clock)).toBe(alice);
    // Written otherwise, the header is left to the parser (which accepts these: client-authenticator.test.ts).
    for (const other of [`bearer ${issued.token}`, `Bearer  ${issued.token}`, `Bearer ${issued.token} `, issued.token])
      expect(`${other}: ${tokens.recall(other, lookup, clock)}`).toBe(`${other}: undefined`);
  });

  test("a wrong secret under a remembered id, or one character changed anywhere in the token, is not recalled", () => {
    const tokens = new VerifiedTokens();
    const lookup = (id: string) => (id === issued.record.id ? issued.record : undefined);
    tokens.verify(issued.token, lookup, NOW);
    const secretStart = "Bearer snt_".length + 17;
    for (let at = "Bearer snt_".length; at < header.length; at++) {
      const changed = `${header.slice(0, at)}${header[at] === "a" ? "b" : "a"}${header.slice(at + 1)}`;
      expect(`${at}: ${tokens.recall(changed, lookup, clock)}`).toBe(`${at}: undefined`);
    }
    expect(tokens.recall(`${header.slice(0, secretStart)}${"A".repeat(43)}`, lookup, clock)).toBeUndefined();
    expect(tokens.recall(header, lookup, clock)).toBe(alice);
  });

  test("a revoked or replaced record, or an expired token, is not recalled; the clock is read only for a token that expires", () => {
    const tokens = new VerifiedTokens();
    let current: ApiTokenRecord | undefined = issued.record;
    const lookup = (id: string) => (id === issued.record.id ? current : undefined);
    let reads = 0;
    const counted = () => {
      reads++;
      return NOW;
    };
    tokens.verify(issued.token, lookup, NOW);
    expect(tokens.recall(header, lookup, counted)).toBe(alice);
    expect(reads).toBe(0);
    current = { ...issued.record };
    expect(tokens.recall(header, lookup, counted)).toBeUndefined();
    current = undefined;
    expect(tokens.recall(header, lookup, counted)).toBeUndefined();

    const expiring = issueApiToken(alice, { now: NOW, ttlMs: 1_000 });
    const expiringLookup = (id: string) => (id === expiring.record.id ? expiring.record : undefined);
    tokens.verify(expiring.token, expiringLookup, NOW);
    expect(tokens.recall(`Bearer ${expiring.token}`, expiringLookup, () => NOW + 999)).toBe(alice);
    expect(tokens.recall(`Bearer ${expiring.token}`, expiringLookup, () => NOW + 1_000)).toBeUndefined();
  });
});

describe("ClientAuthenticator over the replicated security state", () => {
  function applyAll(changes: SecurityChange[], state: SecurityState = EMPTY_SECURITY_STATE): SecurityState {
    return changes.reduce(applySecurityChange, state);
  }

  test("a token used before is refused on the first request after its revocation or its user's deletion is applied", () => {
    const first = issueApiToken(alice, { now: NOW });
    const second = issueApiToken(alice, { now: NOW });
    let state = applyAll([
      { type: "add-user", name: "alice" },
      { type: "add-token", token: first.record },
      { type: "add-token", token: second.record },
    ]);
    const auth = new ClientAuthenticator("token", (id) => apiTokenLookup(state)(id), () => NOW);
    expect(auth.authenticate(`Bearer ${first.token}`)).toBe(alice);
    expect(auth.authenticate(`Bearer ${second.token}`)).toBe(alice);

    state = applySecurityChange(state, { type: "revoke-token", id: first.record.id });
    expect(refusal(() => auth.authenticate(`Bearer ${first.token}`))).toEqual(INVALID);
    expect(auth.authenticate(`Bearer ${second.token}`)).toBe(alice);

    // An ACL change leaves the tokens' records as they were: they still authenticate.
    state = applySecurityChange(state, {
      type: "add-acl",
      binding: { principal: alice, permission: "ALLOW", operation: "READ", resourceType: "TOPIC", patternType: "LITERAL", resourceName: "t" },
    });
    expect(auth.authenticate(`Bearer ${second.token}`)).toBe(alice);

    state = applySecurityChange(state, { type: "remove-user", name: "alice" });
    expect(refusal(() => auth.authenticate(`Bearer ${second.token}`))).toEqual(INVALID);
  });

  test("a state replaced by a snapshot is read afresh: the same token still works, one left out of it is refused at once", () => {
    const kept = issueApiToken(alice, { now: NOW });
    const dropped = issueApiToken(alice, { now: NOW });
    let state = applyAll([
      { type: "add-user", name: "alice" },
      { type: "add-token", token: kept.record },
      { type: "add-token", token: dropped.record },
    ]);
    const auth = new ClientAuthenticator("token", (id) => apiTokenLookup(state)(id), () => NOW);
    for (let i = 0; i < 3; i++) {
      expect(auth.authenticate(`Bearer ${kept.token}`)).toBe(alice);
      expect(auth.authenticate(`Bearer ${dropped.token}`)).toBe(alice);
    }
    // A snapshot from a later log: new record objects, one token revoked meanwhile.
    state = securityStateFromJSON(securityStateToJSON(applySecurityChange(state, { type: "revoke-token", id: dropped.record.id })));
    expect(refusal(() => auth.authenticate(`Bearer ${dropped.token}`))).toEqual(INVALID);
    expect(auth.authenticate(`Bearer ${kept.token}`)).toBe(alice);
    expect(auth.authenticate(`Bearer ${kept.token}`)).toBe(alice);
  });
});
