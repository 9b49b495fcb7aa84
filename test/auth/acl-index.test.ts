import { describe, expect, test } from "bun:test";
import type { AclBinding } from "../../src/auth/acl.ts";
import { AclIndex } from "../../src/auth/acl-index.ts";

function binding(resourceType: AclBinding["resourceType"], patternType: AclBinding["patternType"], resourceName: string): AclBinding {
  return { principal: "User:alice", permission: "ALLOW", operation: "READ", resourceType, patternType, resourceName };
}

const names = (bs: AclBinding[]) => bs.map((b) => `${b.resourceType}/${b.patternType}/${b.resourceName}`).sort();

describe("ACL index", () => {
  const index = new AclIndex([
    binding("TOPIC", "LITERAL", "orders"),
    binding("TOPIC", "LITERAL", "orders-eu"),
    binding("TOPIC", "LITERAL", "*"),
    binding("TOPIC", "PREFIXED", "ord"),
    binding("TOPIC", "PREFIXED", "orders-"),
    binding("TOPIC", "PREFIXED", "x"),
    binding("GROUP", "LITERAL", "orders"),
    binding("GROUP", "PREFIXED", "o"),
  ]);

  test("matches exact literal, the * wildcard and every prefix of the name, of that type only", () => {
    expect(index.size).toBe(8);
    expect(names(index.matching({ type: "TOPIC", name: "orders" }))).toEqual([
      "TOPIC/LITERAL/*",
      "TOPIC/LITERAL/orders",
      "TOPIC/PREFIXED/ord",
    ]);
    expect(names(index.matching({ type: "TOPIC", name: "orders-eu" }))).toEqual([
      "TOPIC/LITERAL/*",
      "TOPIC/LITERAL/orders-eu",
      "TOPIC/PREFIXED/ord",
      "TOPIC/PREFIXED/orders-",
    ]);
    expect(names(index.matching({ type: "TOPIC", name: "or" }))).toEqual(["TOPIC/LITERAL/*"]);
    expect(names(index.matching({ type: "GROUP", name: "orders" }))).toEqual(["GROUP/LITERAL/orders", "GROUP/PREFIXED/o"]);
    expect(names(index.matching({ type: "GROUP", name: "x" }))).toEqual([]);
    expect(index.matching({ type: "CLUSTER", name: "kafka-cluster" })).toEqual([]);
  });

  test("with 25,000 other bindings, a lookup returns just the 2 that match", () => {
    const many: AclBinding[] = [];
    for (let i = 0; i < 20_000; i++) many.push(binding("TOPIC", "LITERAL", `t-${i}`));
    for (let i = 0; i < 5_000; i++) many.push(binding("TOPIC", "PREFIXED", `p-${i}-`));
    many.push(binding("TOPIC", "PREFIXED", "t-1"));
    const big = new AclIndex(many);
    expect(names(big.matching({ type: "TOPIC", name: "t-123" }))).toEqual(["TOPIC/LITERAL/t-123", "TOPIC/PREFIXED/t-1"]);
    expect(names(big.matching({ type: "TOPIC", name: "p-77-x" }))).toEqual(["TOPIC/PREFIXED/p-77-"]);
  });
});
