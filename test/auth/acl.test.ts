import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import {
  ACL_OPERATIONS,
  type AclBinding,
  aclBindingKey,
  allowGrants,
  denyCovers,
  describeBinding,
  describeResource,
  parseAclBinding,
} from "../../src/auth/acl.ts";

const base: AclBinding = {
  principal: "User:alice",
  permission: "ALLOW",
  operation: "READ",
  resourceType: "TOPIC",
  patternType: "LITERAL",
  resourceName: "orders",
};

function refusal(value: unknown): string {
  try {
    parseAclBinding(value);
  } catch (error) {
    if (error instanceof StreamNestError && error.code === "INVALID_REQUEST") return error.message;
    throw error;
  }
  throw new Error("expected INVALID_REQUEST");
}

describe("ACL operations", () => {
  test("ALLOW implications are Kafka's: READ/WRITE/DELETE/ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS, ALL implies all", () => {
    const implied: string[] = [];
    for (const granted of ACL_OPERATIONS)
      for (const requested of ACL_OPERATIONS)
        if (granted !== requested && granted !== "ALL" && allowGrants(granted, requested)) implied.push(`${granted}=>${requested}`);
    expect(implied.sort()).toEqual([
      "ALTER=>DESCRIBE",
      "ALTER_CONFIGS=>DESCRIBE_CONFIGS",
      "DELETE=>DESCRIBE",
      "READ=>DESCRIBE",
      "WRITE=>DESCRIBE",
    ]);
    for (const op of ACL_OPERATIONS) expect(allowGrants("ALL", op)).toBe(true);
    expect(allowGrants("DESCRIBE", "READ")).toBe(false);
    expect(allowGrants("CREATE", "DESCRIBE")).toBe(false);
  });

  test("a DENY covers only its own operation, or everything for ALL", () => {
    expect(denyCovers("READ", "READ")).toBe(true);
    expect(denyCovers("READ", "DESCRIBE")).toBe(false);
    expect(denyCovers("ALL", "DESCRIBE")).toBe(true);
    expect(denyCovers("WRITE", "READ")).toBe(false);
  });
});

describe("ACL bindings", () => {
  test("a valid binding parses to itself; JSON round trip keeps it", () => {
    expect(parseAclBinding(base)).toEqual(base);
    expect(parseAclBinding(JSON.parse(JSON.stringify(base)))).toEqual(base);
    const wildcard = { ...base, principal: "User:*", resourceName: "*" };
    expect(parseAclBinding(wildcard)).toEqual(wildcard as AclBinding);
    const prefixed = { ...base, patternType: "PREFIXED", resourceName: "ord" };
    expect(parseAclBinding(prefixed)).toEqual(prefixed as AclBinding);
    const group = { ...base, resourceType: "GROUP", resourceName: "any group, name ok" };
    expect(parseAclBinding(group)).toEqual(group as AclBinding);
    const cluster = { ...base, operation: "ALTER", resourceType: "CLUSTER", resourceName: "kafka-cluster" };
    expect(parseAclBinding(cluster)).toEqual(cluster as AclBinding);
  });

  test("each invalid field is refused by name", () => {
    expect(refusal(null)).toBe("ACL binding must be an object");
    expect(refusal({ ...base, host: "*" })).toBe('unknown ACL binding field "host"');
    expect(refusal({ ...base, principal: "Group:x" })).toBe('principal type "Group" is not supported; only User:<name>');
    expect(refusal({ ...base, permission: "MAYBE" })).toBe('ACL permission must be one of ALLOW, DENY; got "MAYBE"');
    expect(refusal({ ...base, operation: "read" })).toBe(
      'ACL operation must be one of ALL, READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE; got "read"',
    );
    expect(refusal({ ...base, resourceType: "USER" })).toBe('ACL resource type must be one of TOPIC, GROUP, CLUSTER; got "USER"');
    expect(refusal({ ...base, patternType: "MATCH" })).toBe('ACL pattern type must be one of LITERAL, PREFIXED; got "MATCH"');
    expect(refusal({ ...base, resourceName: 5 })).toBe("ACL resource name must be a string");
    expect(refusal({ ...base, resourceType: "GROUP", operation: "WRITE" })).toBe(
      "operation WRITE does not apply to GROUP; use one of ALL, READ, DELETE, DESCRIBE",
    );
    expect(refusal({ ...base, operation: "IDEMPOTENT_WRITE" })).toBe(
      "operation IDEMPOTENT_WRITE does not apply to TOPIC; use one of ALL, READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS",
    );
    expect(refusal({ ...base, operation: "ALTER", resourceType: "CLUSTER", resourceName: "other" })).toBe(
      'a CLUSTER binding must be LITERAL on "kafka-cluster"',
    );
    expect(refusal({ ...base, resourceName: "" })).toBe("TOPIC resource name is empty");
    expect(refusal({ ...base, resourceName: "bad name" })).toBe(
      `topic name "bad name" may contain only ASCII letters, digits, '.', '_' and '-'`,
    );
    expect(refusal({ ...base, patternType: "PREFIXED", resourceName: "a/" })).toBe('topic prefix "a/" has characters no topic name can contain');
    expect(refusal({ ...base, patternType: "PREFIXED", resourceName: "*" })).toBe(
      'a PREFIXED binding on "*" is meaningless; use LITERAL "*" for every topic',
    );
  });

  test("descriptions and keys", () => {
    expect(describeResource({ type: "TOPIC", name: "orders" })).toBe('topic "orders"');
    expect(describeResource({ type: "GROUP", name: "g" })).toBe('group "g"');
    expect(describeResource({ type: "CLUSTER", name: "kafka-cluster" })).toBe("the cluster");
    expect(describeBinding(base)).toBe('ALLOW User:alice READ on topic "orders"');
    expect(describeBinding({ ...base, patternType: "PREFIXED", resourceName: "ord" })).toBe('ALLOW User:alice READ on topics prefixed "ord"');
    expect(describeBinding({ ...base, permission: "DENY", principal: "User:*", resourceName: "*" })).toBe("DENY User:* READ on every topic");
    expect(aclBindingKey(base)).toBe(aclBindingKey({ ...base }));
    expect(aclBindingKey(base)).not.toBe(aclBindingKey({ ...base, permission: "DENY" }));
  });
});
