import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import type { AclBinding } from "../../src/auth/acl.ts";
import { issueApiToken, verifyApiToken } from "../../src/auth/api-token.ts";
import { Authorizer } from "../../src/auth/authorizer.ts";
import { authenticatePlain } from "../../src/auth/sasl-plain.ts";
import { createScramCredential } from "../../src/auth/scram-credential.ts";
import type { SecurityChange } from "../../src/auth/security-change.ts";
import {
  EMPTY_SECURITY_STATE,
  type SecurityState,
  apiTokenLookup,
  applySecurityChange,
  scramCredentialLookup,
  securityStateFromJSON,
  securityStateToJSON,
} from "../../src/auth/security-state.ts";

const NOW = 1_800_000_000_000;
const alice256 = createScramCredential("SCRAM-SHA-256", "wonderland");
const alice512 = createScramCredential("SCRAM-SHA-512", "wonderland");
const read: AclBinding = {
  principal: "User:alice",
  permission: "ALLOW",
  operation: "READ",
  resourceType: "TOPIC",
  patternType: "LITERAL",
  resourceName: "orders",
};

function applyAll(changes: SecurityChange[], state: SecurityState = EMPTY_SECURITY_STATE): SecurityState {
  return changes.reduce(applySecurityChange, state);
}

function refusal(state: SecurityState, change: SecurityChange): { code: string; message: string } {
  try {
    applySecurityChange(state, change);
  } catch (error) {
    if (error instanceof StreamNestError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a StreamNestError");
}

describe("security state", () => {
  test("users and credentials: add, set, remove; lookups serve SCRAM and PLAIN", () => {
    const state = applyAll([
      { type: "add-user", name: "alice", credentials: [alice256] },
      { type: "set-scram-credential", name: "alice", credential: alice512 },
      { type: "add-user", name: "bob" },
    ]);
    const lookup = scramCredentialLookup(state);
    expect(lookup("alice", "SCRAM-SHA-256")).toEqual(alice256);
    expect(lookup("alice", "SCRAM-SHA-512")).toEqual(alice512);
    expect(lookup("bob", "SCRAM-SHA-256")).toBeUndefined();
    expect(lookup("carol", "SCRAM-SHA-256")).toBeUndefined();
    expect(authenticatePlain("\u0000alice\u0000wonderland", { credentialOf: lookup, fakeCredentialSecret: Buffer.alloc(32) })).toBe("User:alice");
    const without256 = applySecurityChange(state, { type: "remove-scram-credential", name: "alice", mechanism: "SCRAM-SHA-256" });
    expect(scramCredentialLookup(without256)("alice", "SCRAM-SHA-256")).toBeUndefined();
    expect(scramCredentialLookup(without256)("alice", "SCRAM-SHA-512")).toEqual(alice512);
    const gone = applySecurityChange(state, { type: "remove-user", name: "alice" });
    expect(gone.users.has("alice")).toBe(false);
    expect(gone.users.has("bob")).toBe(true);
  });

  test("apply is pure: the old state is untouched, unchanged parts are shared", () => {
    const before = applyAll([{ type: "add-user", name: "alice" }, { type: "add-acl", binding: read }]);
    const after = applySecurityChange(before, { type: "add-user", name: "bob" });
    expect(before.users.has("bob")).toBe(false);
    expect(after.users.has("bob")).toBe(true);
    expect(after.acls).toBe(before.acls);
    expect(after.tokens).toBe(before.tokens);
  });

  test("user changes are validated against the state", () => {
    const state = applyAll([{ type: "add-user", name: "alice", credentials: [alice256] }]);
    expect(refusal(state, { type: "add-user", name: "alice" })).toEqual({ code: "USER_EXISTS", message: 'user "alice" already exists' });
    expect(refusal(state, { type: "remove-user", name: "bob" })).toEqual({ code: "USER_NOT_FOUND", message: 'user "bob" does not exist' });
    expect(refusal(state, { type: "set-scram-credential", name: "bob", credential: alice256 })).toEqual({
      code: "USER_NOT_FOUND",
      message: 'user "bob" does not exist',
    });
    expect(refusal(state, { type: "remove-scram-credential", name: "alice", mechanism: "SCRAM-SHA-512" })).toEqual({
      code: "NOT_FOUND",
      message: 'user "alice" has no SCRAM-SHA-512 credential',
    });
    expect(refusal(state, { type: "set-scram-credential", name: "alice", credential: { ...alice256, iterations: 100 } })).toEqual({
      code: "INVALID_REQUEST",
      message: "iterations 100 is outside 4096..16384",
    });
  });

  test("tokens: add for an existing user, verify, revoke; removing the user revokes its tokens", () => {
    const a = issueApiToken("User:alice", { now: NOW });
    const b = issueApiToken("User:bob", { now: NOW });
    const users = applyAll([{ type: "add-user", name: "alice" }, { type: "add-user", name: "bob" }]);
    const state = applyAll([{ type: "add-token", token: a.record }, { type: "add-token", token: b.record }], users);
    expect(verifyApiToken(a.token, apiTokenLookup(state), NOW)).toBe("User:alice");
    expect(verifyApiToken(b.token, apiTokenLookup(state), NOW)).toBe("User:bob");
    const revoked = applySecurityChange(state, { type: "revoke-token", id: a.record.id });
    expect(() => verifyApiToken(a.token, apiTokenLookup(revoked), NOW)).toThrow("invalid API token");
    expect(verifyApiToken(b.token, apiTokenLookup(revoked), NOW)).toBe("User:bob");
    const noBob = applySecurityChange(state, { type: "remove-user", name: "bob" });
    expect([...noBob.tokens.keys()]).toEqual([a.record.id]);
    expect(refusal(state, { type: "revoke-token", id: "0000000000000000" })).toEqual({
      code: "NOT_FOUND",
      message: "no API token has id 0000000000000000",
    });
    expect(refusal(state, { type: "add-token", token: a.record })).toEqual({
      code: "INVALID_REQUEST",
      message: `token id ${a.record.id} is already in use`,
    });
    const carol = issueApiToken("User:carol", { now: NOW });
    expect(refusal(state, { type: "add-token", token: carol.record })).toEqual({
      code: "USER_NOT_FOUND",
      message: 'user "carol" does not exist',
    });
  });

  test("ACLs: add and remove are idempotent (same state object back), and feed the authorizer", () => {
    const state = applyAll([{ type: "add-acl", binding: read }]);
    expect(applySecurityChange(state, { type: "add-acl", binding: { ...read } })).toBe(state);
    const deny = { ...read, permission: "DENY" } as const;
    expect(applySecurityChange(state, { type: "remove-acl", binding: deny })).toBe(state);
    expect(new Authorizer(state.acls.values()).authorize("User:alice", "READ", { type: "TOPIC", name: "orders" }).allowed).toBe(true);
    const removed = applySecurityChange(state, { type: "remove-acl", binding: { ...read } });
    expect(removed.acls.size).toBe(0);
    expect(new Authorizer(removed.acls.values()).authorize("User:alice", "READ", { type: "TOPIC", name: "orders" }).allowed).toBe(false);
    expect(refusal(state, { type: "add-acl", binding: { ...read, resourceType: "GROUP", operation: "WRITE" } })).toEqual({
      code: "INVALID_REQUEST",
      message: "operation WRITE does not apply to GROUP; use one of ALL, READ, DELETE, DESCRIBE",
    });
  });

  test("JSON snapshot round trip gives an equal state, deterministic whatever the order of changes", () => {
    const t = issueApiToken("User:alice", { now: NOW, ttlMs: 5000, description: "ci" });
    const changes: SecurityChange[] = [
      { type: "add-user", name: "zed" },
      { type: "add-user", name: "alice", credentials: [alice512, alice256] },
      { type: "add-token", token: t.record },
      { type: "add-acl", binding: read },
    ];
    const state = applyAll(changes);
    const json = securityStateToJSON(state);
    expect(json).toEqual({
      users: [
        { name: "alice", credentials: [alice256, alice512] },
        { name: "zed", credentials: [] },
      ],
      tokens: [t.record],
      acls: [read],
    });
    const restored = securityStateFromJSON(JSON.parse(JSON.stringify(json)));
    expect(securityStateToJSON(restored)).toEqual(json);
    expect(verifyApiToken(t.token, apiTokenLookup(restored), NOW)).toBe("User:alice");
    const reordered = applyAll([changes[1], changes[0], changes[2], changes[3]]);
    expect(JSON.stringify(securityStateToJSON(reordered))).toBe(JSON.stringify(json));
  });

  test("a corrupt snapshot is refused naming the problem", () => {
    const message = (value: unknown) => {
      try {
        securityStateFromJSON(value);
      } catch (error) {
        if (error instanceof StreamNestError) return error.message;
        throw error;
      }
      throw new Error("expected a StreamNestError");
    };
    expect(message([])).toBe("security state must be an object");
    expect(message({ users: [], tokens: [] })).toBe("security state acls must be an array");
    expect(message({ users: [], tokens: [], acls: [], extra: 1 })).toBe('unknown security state field "extra"');
    expect(message({ users: [{ name: "a", password: "x" }], tokens: [], acls: [] })).toBe('unknown user field "password"');
    expect(message({ users: [null], tokens: [], acls: [] })).toBe("each user of the security state must be an object");
    expect(message({ users: [{ name: "a" }, { name: "a" }], tokens: [], acls: [] })).toBe('user "a" already exists');
    const orphan = issueApiToken("User:ghost", { now: NOW }).record;
    expect(message({ users: [], tokens: [orphan], acls: [] })).toBe('user "ghost" does not exist');
  });
});
