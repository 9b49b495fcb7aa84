import { describe, expect, test } from "bun:test";
import { bindingFromFlags, renderAcl } from "../../src/commands/acls.ts";

describe("bindingFromFlags", () => {
  test("kafka-acls' flags become one binding", () => {
    expect(bindingFromFlags({ "allow-principal": "User:a", operation: "read", topic: "t-", "resource-pattern-type": "prefixed" })).toEqual({
      principal: "User:a",
      permission: "ALLOW",
      operation: "READ",
      resource_type: "TOPIC",
      resource_name: "t-",
      pattern_type: "PREFIXED",
    });
    expect(bindingFromFlags({ "deny-principal": "User:*", operation: "ALTER", cluster: true })).toEqual({
      principal: "User:*",
      permission: "DENY",
      operation: "ALTER",
      resource_type: "CLUSTER",
      resource_name: "kafka-cluster",
      pattern_type: "LITERAL",
    });
  });

  test("a missing or doubled part is a usage error naming it", () => {
    expect(() => bindingFromFlags({ operation: "READ", topic: "t" })).toThrow("give one of --allow-principal or --deny-principal");
    expect(() => bindingFromFlags({ "allow-principal": "User:a", "deny-principal": "User:a", operation: "READ", topic: "t" })).toThrow(
      "give one of --allow-principal or --deny-principal",
    );
    expect(() => bindingFromFlags({ "allow-principal": "User:a", topic: "t" })).toThrow("--operation is needed");
    expect(() => bindingFromFlags({ "allow-principal": "User:a", operation: "READ" })).toThrow("give exactly one of --topic, --group or --cluster");
    expect(() => bindingFromFlags({ "allow-principal": "User:a", operation: "READ", topic: "t", group: "g" })).toThrow(
      "give exactly one of --topic, --group or --cluster",
    );
  });
});

test("renderAcl: one line, a prefix shown with *", () => {
  const base = { principal: "User:a", permission: "ALLOW", operation: "READ", pattern_type: "LITERAL" };
  expect(renderAcl({ ...base, resource_type: "GROUP", resource_name: "g" })).toBe("ALLOW User:a READ on group g");
  expect(renderAcl({ ...base, resource_type: "TOPIC", resource_name: "t-", pattern_type: "PREFIXED" })).toBe("ALLOW User:a READ on topic t-*");
  expect(renderAcl({ ...base, operation: "ALTER", resource_type: "CLUSTER", resource_name: "kafka-cluster" })).toBe("ALLOW User:a ALTER on cluster");
});
