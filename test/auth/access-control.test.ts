import { describe, expect, test } from "bun:test";
import { AccessControl, DECISIONS_MAX } from "../../src/auth/access-control.ts";
import { ADMIN_PRINCIPAL } from "../../src/auth/admin-token.ts";
import { issueApiToken } from "../../src/auth/api-token.ts";
import { CLUSTER_RESOURCE, topicResource } from "../../src/auth/acl.ts";
import { ANONYMOUS } from "../../src/auth/principal.ts";
import { applySecurityChange, EMPTY_SECURITY_STATE, type SecurityState } from "../../src/auth/security-state.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const now = 1_000_000;
const admin = issueApiToken(ADMIN_PRINCIPAL, { now });
const alice = issueApiToken("User:alice", { now });

function stateWith(...changes: Parameters<typeof applySecurityChange>[1][]): SecurityState {
  return changes.reduce(applySecurityChange, EMPTY_SECURITY_STATE);
}

const readOrders = {
  principal: "User:alice",
  permission: "ALLOW",
  operation: "READ",
  resourceType: "TOPIC",
  patternType: "LITERAL",
  resourceName: "orders",
} as const;

describe("AccessControl", () => {
  test("with authentication off everyone is ANONYMOUS and may do everything", () => {
    const access = new AccessControl({ mode: "none", security: () => EMPTY_SECURITY_STATE });
    expect(access.enabled).toBe(false);
    expect(access.authenticate(null)).toBe(ANONYMOUS);
    expect(() => access.check(ANONYMOUS, "ALTER", CLUSTER_RESOURCE)).not.toThrow();
    expect(access.describableTopics(ANONYMOUS, ["a", "b"])).toEqual(["a", "b"]);
  });

  test("tokens: the bootstrap admin's, then the replicated state's, read at each call", () => {
    let state = stateWith({ type: "add-user", name: "alice" });
    const access = new AccessControl({ mode: "token", bootstrap: admin.record, security: () => state, now: () => now });
    expect(access.authenticate(`Bearer ${admin.token}`)).toBe(ADMIN_PRINCIPAL);
    expect(() => access.authenticate(`Bearer ${alice.token}`)).toThrow(new StreamNestError("UNAUTHORIZED", "invalid API token"));
    state = applySecurityChange(state, { type: "add-token", token: alice.record });
    expect(access.authenticate(`Bearer ${alice.token}`)).toBe("User:alice");
  });

  test("a refusal is FORBIDDEN naming the principal, the operation and the resource; the admin is a super user", () => {
    const access = new AccessControl({ mode: "token", bootstrap: admin.record, security: () => EMPTY_SECURITY_STATE });
    let thrown: unknown;
    try {
      access.check("User:alice", "WRITE", topicResource("orders"));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StreamNestError);
    expect((thrown as StreamNestError).toJSON()).toEqual({
      error: "FORBIDDEN",
      message: 'User:alice lacks WRITE on topic "orders"',
      details: { principal: "User:alice", operation: "WRITE", resource_type: "TOPIC", resource_name: "orders" },
    });
    expect(() => access.check(ADMIN_PRINCIPAL, "ALTER", CLUSTER_RESOURCE)).not.toThrow();
  });

  test("of several resources one allowing suffices; the first is named when none does", () => {
    const state = stateWith({ type: "add-user", name: "alice" }, {
      type: "add-acl",
      binding: { ...readOrders, operation: "CREATE", resourceType: "CLUSTER", resourceName: "kafka-cluster" },
    });
    const access = new AccessControl({ mode: "token", security: () => state });
    expect(() => access.check("User:alice", "CREATE", topicResource("t"), CLUSTER_RESOURCE)).not.toThrow();
    expect(() => access.check("User:bob", "CREATE", topicResource("t"), CLUSTER_RESOURCE)).toThrow('User:bob lacks CREATE on topic "t"');
  });

  test("the Authorizer is rebuilt when the bindings change, and only then", () => {
    let state = stateWith({ type: "add-user", name: "alice" });
    const access = new AccessControl({ mode: "token", security: () => state });
    const first = access.authorizer();
    expect(access.describableTopics("User:alice", ["orders", "other"])).toEqual([]);
    state = applySecurityChange(state, { type: "add-user", name: "bob" });
    expect(access.authorizer()).toBe(first);
    state = applySecurityChange(state, { type: "add-acl", binding: readOrders });
    expect(access.authorizer()).not.toBe(first);
    expect(access.describableTopics("User:alice", ["orders", "other"])).toEqual(["orders"]);
    expect(access.describableGroups("User:alice", ["g"])).toEqual([]);
  });

  test("a decision remembered for a principal, operation and resource is dropped when an ACL is removed or a DENY added", () => {
    let state = stateWith({ type: "add-user", name: "alice" }, { type: "add-acl", binding: readOrders });
    const access = new AccessControl({ mode: "token", security: () => state });
    expect(access.allowed("User:alice", "READ", topicResource("orders"))).toBe(true);
    expect(access.allowed("User:alice", "READ", topicResource("orders"))).toBe(true);
    state = applySecurityChange(state, { type: "add-acl", binding: { ...readOrders, permission: "DENY", principal: "User:*" } });
    expect(access.allowed("User:alice", "READ", topicResource("orders"))).toBe(false);
    state = applySecurityChange(state, { type: "remove-acl", binding: { ...readOrders, permission: "DENY", principal: "User:*" } });
    expect(access.allowed("User:alice", "READ", topicResource("orders"))).toBe(true);
    state = applySecurityChange(state, { type: "remove-acl", binding: readOrders });
    expect(() => access.check("User:alice", "READ", topicResource("orders"))).toThrow('User:alice lacks READ on topic "orders"');
  });

  test("decisions for one principal are not another's, nor one topic's another's, past the bound of remembered decisions", () => {
    const state = stateWith(
      { type: "add-user", name: "alice" },
      { type: "add-acl", binding: { ...readOrders, patternType: "PREFIXED", resourceName: "orders." } },
    );
    const access = new AccessControl({ mode: "token", security: () => state });
    const names = Array.from({ length: DECISIONS_MAX + 10 }, (_, i) => (i % 2 === 0 ? `orders.${i}` : `ordersX${i}`));
    for (let round = 0; round < 2; round++) {
      const allowed = names.filter((name) => access.allowed("User:alice", "READ", topicResource(name)));
      expect(allowed).toEqual(names.filter((_, i) => i % 2 === 0));
      expect(access.allowed("User:bob", "READ", topicResource("orders.0"))).toBe(false);
      expect(access.allowed("User:alice", "WRITE", topicResource("orders.0"))).toBe(false);
    }
  });
});
