import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import { issueApiToken } from "../../src/auth/api-token.ts";
import { createScramCredential } from "../../src/auth/scram-credential.ts";
import { parseSecurityChange } from "../../src/auth/security-change.ts";

const cred256 = createScramCredential("SCRAM-SHA-256", "pw");
const cred512 = createScramCredential("SCRAM-SHA-512", "pw");
const binding = {
  principal: "User:alice",
  permission: "ALLOW",
  operation: "READ",
  resourceType: "TOPIC",
  patternType: "LITERAL",
  resourceName: "orders",
};

function refusal(value: unknown): string {
  try {
    parseSecurityChange(value);
  } catch (error) {
    if (error instanceof StreamNestError && error.code === "INVALID_REQUEST") return error.message;
    throw error;
  }
  throw new Error("expected INVALID_REQUEST");
}

describe("security change parsing", () => {
  test("every change type survives a JSON round trip unchanged", () => {
    const { record } = issueApiToken("User:alice", { now: 1, ttlMs: 1000 });
    const changes = [
      { type: "add-user", name: "alice" },
      { type: "add-user", name: "bob", credentials: [cred256, cred512] },
      { type: "remove-user", name: "alice" },
      { type: "set-scram-credential", name: "alice", credential: cred512 },
      { type: "remove-scram-credential", name: "alice", mechanism: "SCRAM-SHA-256" },
      { type: "add-token", token: record },
      { type: "revoke-token", id: record.id },
      { type: "add-acl", binding },
      { type: "remove-acl", binding },
    ];
    for (const change of changes) expect(parseSecurityChange(JSON.parse(JSON.stringify(change)))).toEqual(change as never);
  });

  test("invalid changes are refused naming the problem", () => {
    const { record } = issueApiToken("User:alice", { now: 1 });
    expect(refusal("add-user")).toBe("security change must be an object");
    expect(refusal({ type: "drop-everything" })).toBe(
      'unknown security change type "drop-everything"; expected one of add-user, remove-user, set-scram-credential, remove-scram-credential, add-token, revoke-token, add-acl, remove-acl',
    );
    expect(refusal({ type: "add-user", name: "alice", password: "pw" })).toBe('unknown field "password" in a add-user change');
    expect(refusal({ type: "add-user", name: "" })).toBe("user name is empty");
    expect(refusal({ type: "add-user", name: "*" })).toBe('user name cannot be "*" (it is the wildcard of ACL bindings)');
    expect(refusal({ type: "add-user", name: "a", credentials: {} })).toBe("credentials must be an array of SCRAM credentials");
    expect(refusal({ type: "add-user", name: "a", credentials: [cred256, cred256] })).toBe("at most one credential per SCRAM mechanism");
    expect(refusal({ type: "set-scram-credential", name: "a", credential: { ...cred256, iterations: 1024 } })).toBe(
      "iterations 1024 is outside 4096..16384",
    );
    expect(refusal({ type: "remove-scram-credential", name: "a", mechanism: "PLAIN" })).toBe('unknown SCRAM mechanism "PLAIN"');
    expect(refusal({ type: "add-token", token: { ...record, principal: "User:*" } })).toBe(
      "the wildcard principal User:* cannot be used here",
    );
    expect(refusal({ type: "add-token", token: { ...record, sha256: "abc" } })).toBe("token sha256 must be 64 lowercase hex digits");
    expect(refusal({ type: "revoke-token", id: "nope" })).toBe("token id must be 16 lowercase hex digits");
    expect(refusal({ type: "add-acl", binding: { ...binding, operation: "FLY" } })).toBe(
      'ACL operation must be one of ALL, READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE; got "FLY"',
    );
  });
});
