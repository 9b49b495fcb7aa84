import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import { ANY_USER, parsePrincipal, principalName, userNameProblem, userPrincipal } from "../../src/auth/principal.ts";

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof StreamNestError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a StreamNestError");
}

describe("principal", () => {
  test("a user principal has Kafka's form User:<name>", () => {
    expect(userPrincipal("alice")).toBe("User:alice");
    expect(userPrincipal("a,b=c")).toBe("User:a,b=c");
    expect(principalName("User:alice")).toBe("alice");
    expect(principalName("User:has:colon")).toBe("has:colon");
  });

  test("parse accepts User:<name>, and User:* only where a wildcard is allowed", () => {
    expect(parsePrincipal("User:bob")).toBe("User:bob");
    expect(parsePrincipal("User:x:y")).toBe("User:x:y");
    expect(parsePrincipal("User:*", true)).toBe(ANY_USER);
    expect(refusal(() => parsePrincipal("User:*"))).toEqual({
      code: "INVALID_REQUEST",
      message: "the wildcard principal User:* cannot be used here",
    });
  });

  test("parse refuses other principal types and malformed text by name", () => {
    expect(refusal(() => parsePrincipal("Group:ops"))).toEqual({
      code: "INVALID_REQUEST",
      message: 'principal type "Group" is not supported; only User:<name>',
    });
    expect(refusal(() => parsePrincipal("alice")).message).toBe('principal "alice" is not of the form User:<name>');
    expect(refusal(() => parsePrincipal("User:")).message).toBe("user name is empty");
    expect(refusal(() => parsePrincipal(42)).message).toBe("principal must be a string");
  });

  test("user names: not empty, not *, no control characters, bounded", () => {
    expect(userNameProblem("alice")).toBeUndefined();
    expect(userNameProblem("ünïcødé 用户")).toBeUndefined();
    expect(userNameProblem("")).toBe("user name is empty");
    expect(userNameProblem("*")).toBe('user name cannot be "*" (it is the wildcard of ACL bindings)');
    expect(userNameProblem("a\u0000b")).toBe("user name contains a control character");
    expect(userNameProblem("a\nb")).toBe("user name contains a control character");
    expect(userNameProblem("x".repeat(256))).toBeUndefined();
    expect(userNameProblem("x".repeat(257))).toBe("user name is 257 characters; the limit is 256");
    expect(userNameProblem("\ud800")).toBe("user name is not well-formed Unicode");
    expect(userNameProblem(7)).toBe("user name must be a string");
    expect(refusal(() => userPrincipal("")).code).toBe("INVALID_REQUEST");
  });
});
