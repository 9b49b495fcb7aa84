import { StreamNestError } from "../lib/errors.ts";

/**
 * A principal in Kafka's textual form (KafkaPrincipal#toString): `<type>:<name>`. StreamNest
 * authenticates users only, so the type is always `User`; `User:*` is the wildcard that ACL
 * bindings may name (Kafka's `WILDCARD_PRINCIPAL`), never an authenticated identity.
 */
export type Principal = `User:${string}`;
export const USER_TYPE = "User";
export const ANY_USER: Principal = "User:*";

export const MAX_USER_NAME_LENGTH = 256;

/**
 * User names are free text as Kafka allows (SCRAM escapes ',' and '=' in them, RFC 5802 §5.1),
 * but never empty, never the wildcard, and free of control characters: a name is printed in
 * logs and error messages, and NUL separates fields in SASL/PLAIN (RFC 4616).
 */
export function userNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string") return "user name must be a string";
  if (name.length === 0) return "user name is empty";
  if (name === "*") return `user name cannot be "*" (it is the wildcard of ACL bindings)`;
  if (name.length > MAX_USER_NAME_LENGTH)
    return `user name is ${name.length} characters; the limit is ${MAX_USER_NAME_LENGTH}`;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "user name contains a control character";
  if (!name.isWellFormed()) return "user name is not well-formed Unicode";
  return undefined;
}

export function assertUserName(name: unknown): asserts name is string {
  const problem = userNameProblem(name);
  if (problem) throw new StreamNestError("INVALID_REQUEST", problem);
}

/** The principal of an authenticated user; the name is validated. */
export function userPrincipal(name: string): Principal {
  assertUserName(name);
  return `User:${name}`;
}

/**
 * Parses `User:<name>` or `User:*` (the latter only where `allowWildcard`, i.e. in ACL
 * bindings). Anything else, including other Kafka principal types, is refused by name.
 */
export function parsePrincipal(text: unknown, allowWildcard = false): Principal {
  if (typeof text !== "string") throw new StreamNestError("INVALID_REQUEST", "principal must be a string");
  const colon = text.indexOf(":");
  if (colon < 0)
    throw new StreamNestError("INVALID_REQUEST", `principal "${text}" is not of the form User:<name>`);
  const type = text.slice(0, colon);
  if (type !== USER_TYPE)
    throw new StreamNestError("INVALID_REQUEST", `principal type "${type}" is not supported; only User:<name>`);
  const name = text.slice(colon + 1);
  if (name === "*") {
    if (allowWildcard) return ANY_USER;
    throw new StreamNestError("INVALID_REQUEST", "the wildcard principal User:* cannot be used here");
  }
  return userPrincipal(name);
}

export function principalName(principal: Principal): string {
  return principal.slice(USER_TYPE.length + 1);
}

/** Who an unauthenticated connection is when authentication is off (Kafka's ANONYMOUS). */
export const ANONYMOUS: Principal = "User:ANONYMOUS";
