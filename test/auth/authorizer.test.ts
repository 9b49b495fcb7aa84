import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import { type AclBinding, CLUSTER_RESOURCE, groupResource, topicResource } from "../../src/auth/acl.ts";
import { Authorizer } from "../../src/auth/authorizer.ts";
import type { Principal } from "../../src/auth/principal.ts";

function acl(
  principal: Principal,
  permission: AclBinding["permission"],
  operation: AclBinding["operation"],
  resourceType: AclBinding["resourceType"],
  patternType: AclBinding["patternType"],
  resourceName: string,
): AclBinding {
  return { principal, permission, operation, resourceType, patternType, resourceName };
}

describe("authorizer", () => {
  test("no binding: refused, the reason naming the permission missing", () => {
    const auth = new Authorizer([]);
    expect(auth.authorize("User:alice", "WRITE", topicResource("orders"))).toEqual({
      allowed: false,
      reason: 'User:alice lacks WRITE on topic "orders"',
    });
  });

  test("literal ALLOW allows that operation on that topic only, for that principal only", () => {
    const auth = new Authorizer([acl("User:alice", "ALLOW", "WRITE", "TOPIC", "LITERAL", "orders")]);
    expect(auth.authorize("User:alice", "WRITE", topicResource("orders"))).toEqual({
      allowed: true,
      reason: 'User:alice may WRITE on topic "orders" (ALLOW User:alice WRITE on topic "orders")',
    });
    expect(auth.authorize("User:alice", "WRITE", topicResource("orders2")).allowed).toBe(false);
    expect(auth.authorize("User:alice", "READ", topicResource("orders")).allowed).toBe(false);
    expect(auth.authorize("User:bob", "WRITE", topicResource("orders")).allowed).toBe(false);
    expect(auth.authorize("User:alice", "WRITE", groupResource("orders")).allowed).toBe(false);
  });

  test("each operation allows itself and, for READ/WRITE/DELETE/ALTER, DESCRIBE", () => {
    for (const op of ["READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE"] as const) {
      const auth = new Authorizer([acl("User:u", "ALLOW", op, "TOPIC", "LITERAL", "t")]);
      expect(auth.authorize("User:u", op, topicResource("t")).allowed).toBe(true);
      expect(auth.authorize("User:u", "DESCRIBE", topicResource("t")).allowed).toBe(op !== "CREATE");
      const others = (["READ", "WRITE", "CREATE", "DELETE", "ALTER"] as const).filter((o) => o !== op);
      for (const other of others) expect(auth.authorize("User:u", other, topicResource("t")).allowed).toBe(false);
    }
  });

  test("ALL allows every operation", () => {
    const auth = new Authorizer([acl("User:u", "ALLOW", "ALL", "GROUP", "LITERAL", "g")]);
    for (const op of ["READ", "DELETE", "DESCRIBE"] as const) expect(auth.authorize("User:u", op, groupResource("g")).allowed).toBe(true);
  });

  test("prefix and wildcard patterns, and the User:* principal", () => {
    const auth = new Authorizer([
      acl("User:alice", "ALLOW", "READ", "TOPIC", "PREFIXED", "sales."),
      acl("User:*", "ALLOW", "DESCRIBE", "TOPIC", "LITERAL", "*"),
      acl("User:*", "ALLOW", "READ", "GROUP", "PREFIXED", "team-"),
    ]);
    expect(auth.authorize("User:alice", "READ", topicResource("sales.eu")).allowed).toBe(true);
    expect(auth.authorize("User:alice", "READ", topicResource("sales")).allowed).toBe(false);
    expect(auth.authorize("User:bob", "READ", topicResource("sales.eu")).allowed).toBe(false);
    expect(auth.authorize("User:bob", "DESCRIBE", topicResource("anything")).allowed).toBe(true);
    expect(auth.authorize("User:bob", "READ", groupResource("team-a")).allowed).toBe(true);
    expect(auth.authorize("User:bob", "READ", groupResource("other")).allowed).toBe(false);
  });

  test("DENY wins over ALLOW, whichever pattern each uses; the reason does not reveal the binding", () => {
    const auth = new Authorizer([
      acl("User:*", "ALLOW", "ALL", "TOPIC", "LITERAL", "*"),
      acl("User:mallory", "DENY", "WRITE", "TOPIC", "PREFIXED", "pay"),
      acl("User:*", "DENY", "ALL", "TOPIC", "LITERAL", "secret"),
    ]);
    expect(auth.authorize("User:mallory", "WRITE", topicResource("payments"))).toEqual({
      allowed: false,
      reason: 'User:mallory lacks WRITE on topic "payments" (denied by an ACL)',
    });
    // A DENY of WRITE denies WRITE only: mallory still reads and describes.
    expect(auth.authorize("User:mallory", "READ", topicResource("payments")).allowed).toBe(true);
    expect(auth.authorize("User:mallory", "DESCRIBE", topicResource("payments")).allowed).toBe(true);
    expect(auth.authorize("User:alice", "WRITE", topicResource("payments")).allowed).toBe(true);
    for (const op of ["READ", "DESCRIBE", "WRITE"] as const)
      expect(auth.authorize("User:alice", op, topicResource("secret")).allowed).toBe(false);
  });

  test("super users may do anything, even against a DENY", () => {
    const auth = new Authorizer([acl("User:*", "DENY", "ALL", "TOPIC", "LITERAL", "*")], { superUsers: ["User:admin"] });
    expect(auth.authorize("User:admin", "DELETE", topicResource("x"))).toEqual({ allowed: true, reason: "User:admin is a super user" });
    expect(auth.authorize("User:admin", "ALTER", CLUSTER_RESOURCE).allowed).toBe(true);
    expect(auth.isSuperUser("User:admin")).toBe(true);
    expect(auth.isSuperUser("User:alice")).toBe(false);
    expect(auth.authorize("User:alice", "DESCRIBE", topicResource("x")).allowed).toBe(false);
  });

  test("cluster-level permission", () => {
    const auth = new Authorizer([acl("User:ops", "ALLOW", "ALTER", "CLUSTER", "LITERAL", "kafka-cluster")]);
    expect(auth.authorize("User:ops", "ALTER", CLUSTER_RESOURCE).allowed).toBe(true);
    expect(auth.authorize("User:ops", "DESCRIBE", CLUSTER_RESOURCE).allowed).toBe(true);
    expect(auth.authorize("User:dev", "ALTER", CLUSTER_RESOURCE)).toEqual({ allowed: false, reason: "User:dev lacks ALTER on the cluster" });
  });

  test("allowIfNoAclFound allows only resources no binding names", () => {
    const auth = new Authorizer([acl("User:alice", "ALLOW", "READ", "TOPIC", "LITERAL", "guarded")], { allowIfNoAclFound: true });
    expect(auth.authorize("User:bob", "WRITE", topicResource("open"))).toEqual({
      allowed: true,
      reason: 'no ACL names topic "open", and allowIfNoAclFound is set',
    });
    expect(auth.authorize("User:bob", "READ", topicResource("guarded")).allowed).toBe(false);
  });

  test("check throws FORBIDDEN with the reason", () => {
    const auth = new Authorizer([]);
    let caught: unknown;
    try {
      auth.check("User:alice", "WRITE", topicResource("orders"));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StreamNestError);
    expect((caught as StreamNestError).code).toBe("FORBIDDEN");
    expect((caught as StreamNestError).status).toBe(403);
    expect((caught as StreamNestError).message).toBe('User:alice lacks WRITE on topic "orders"');
    new Authorizer([acl("User:alice", "ALLOW", "WRITE", "TOPIC", "LITERAL", "orders")]).check("User:alice", "WRITE", topicResource("orders"));
  });

  test("filterDescribable keeps, in order, only topics the principal may describe", () => {
    const auth = new Authorizer([
      acl("User:alice", "ALLOW", "READ", "TOPIC", "PREFIXED", "a."),
      acl("User:alice", "ALLOW", "CREATE", "TOPIC", "LITERAL", "created-only"),
      acl("User:alice", "ALLOW", "DESCRIBE", "TOPIC", "LITERAL", "z"),
      acl("User:alice", "DENY", "DESCRIBE", "TOPIC", "LITERAL", "a.hidden"),
    ]);
    const topics = ["z", "a.1", "b", "a.hidden", "created-only", "a.2"];
    expect(auth.filterDescribable("User:alice", topics)).toEqual(["z", "a.1", "a.2"]);
    expect(auth.filterDescribable("User:bob", topics)).toEqual([]);
    expect(auth.filterAuthorized("User:alice", "READ", "TOPIC", topics)).toEqual(["a.1", "a.hidden", "a.2"]);
  });

  test("a check reads only the bindings that can match the resource, not all of them", () => {
    let reads = 0;
    const counted = (b: AclBinding): AclBinding =>
      new Proxy(b, {
        get(target, key, receiver) {
          reads++;
          return Reflect.get(target, key, receiver);
        },
      });
    const many: AclBinding[] = [];
    for (let i = 0; i < 20_000; i++) many.push(counted(acl("User:u", "ALLOW", "READ", "TOPIC", "LITERAL", `t-${i}`)));
    for (let i = 0; i < 5_000; i++) many.push(counted(acl("User:u", "ALLOW", "READ", "TOPIC", "PREFIXED", `p-${i}-`)));
    many.push(counted(acl("User:u", "DENY", "WRITE", "TOPIC", "PREFIXED", "t-1")));
    const auth = new Authorizer(many);
    reads = 0;
    expect(auth.authorize("User:u", "READ", topicResource("t-123")).allowed).toBe(true);
    expect(auth.authorize("User:u", "WRITE", topicResource("t-123")).allowed).toBe(false);
    // Two checks over the 2 matching bindings, each with 6 fields: at most 24 reads of 25,001 bindings.
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(24);
  });

  test("permits() answers as authorize().allowed on every branch: super user, DENY, ALLOW, no ACL, nothing", () => {
    const bindings = [
      acl("User:alice", "ALLOW", "WRITE", "TOPIC", "LITERAL", "orders"),
      acl("User:*", "ALLOW", "READ", "TOPIC", "PREFIXED", "pub"),
      acl("User:mallory", "DENY", "WRITE", "TOPIC", "PREFIXED", "pub"),
      acl("User:bob", "ALLOW", "ALL", "GROUP", "LITERAL", "*"),
      acl("User:bob", "DENY", "READ", "GROUP", "LITERAL", "audit"),
    ];
    const principals: Principal[] = ["User:admin", "User:alice", "User:bob", "User:mallory", "User:nobody"];
    const operations = ["READ", "WRITE", "DESCRIBE", "ALTER", "CREATE"] as const;
    const resources = [topicResource("orders"), topicResource("public"), topicResource("pub"), topicResource("free"), groupResource("audit"), groupResource("g"), CLUSTER_RESOURCE];
    let allowed = 0;
    let checked = 0;
    for (const allowIfNoAclFound of [false, true]) {
      const auth = new Authorizer(bindings, { superUsers: ["User:admin"], allowIfNoAclFound });
      for (const principal of principals)
        for (const operation of operations)
          for (const resource of resources) {
            const expected = auth.authorize(principal, operation, resource).allowed;
            expect(`${principal} ${operation} ${resource.type}:${resource.name} ${auth.permits(principal, operation, resource)}`).toBe(
              `${principal} ${operation} ${resource.type}:${resource.name} ${expected}`,
            );
            checked++;
            if (expected) allowed++;
          }
    }
    expect(checked).toBe(350);
    // Both answers occur, so the comparison is not of one constant with itself.
    expect(allowed).toBe(164);
  });
});
