import { StreamNestError } from "../lib/errors.ts";
import { type AclBinding, parseAclBinding } from "./acl.ts";
import { type ApiTokenRecord, apiTokenRecordProblem } from "./api-token.ts";
import { assertUserName, parsePrincipal } from "./principal.ts";
import { type ScramCredential, type ScramMechanism, isScramMechanism, scramCredentialProblem } from "./scram-credential.ts";

/**
 * The changes to the security state, as they travel in the replicated metadata log: plain
 * JSON. A token travels as its record (hash only); a password never travels, only the SCRAM
 * credential derived from it.
 */
export type SecurityChange =
  | { readonly type: "add-user"; readonly name: string; readonly credentials?: readonly ScramCredential[] }
  | { readonly type: "remove-user"; readonly name: string }
  | { readonly type: "set-scram-credential"; readonly name: string; readonly credential: ScramCredential }
  | { readonly type: "remove-scram-credential"; readonly name: string; readonly mechanism: ScramMechanism }
  | { readonly type: "add-token"; readonly token: ApiTokenRecord }
  | { readonly type: "revoke-token"; readonly id: string }
  | { readonly type: "add-acl"; readonly binding: AclBinding }
  | { readonly type: "remove-acl"; readonly binding: AclBinding };

export type SecurityChangeType = SecurityChange["type"];

const FIELDS: Record<SecurityChangeType, readonly string[]> = {
  "add-user": ["name", "credentials"],
  "remove-user": ["name"],
  "set-scram-credential": ["name", "credential"],
  "remove-scram-credential": ["name", "mechanism"],
  "add-token": ["token"],
  "revoke-token": ["id"],
  "add-acl": ["binding"],
  "remove-acl": ["binding"],
};

function invalid(message: string): StreamNestError {
  return new StreamNestError("INVALID_REQUEST", message);
}

export function parseScramCredential(value: unknown): ScramCredential {
  const problem = scramCredentialProblem(value);
  if (problem) throw invalid(problem);
  return value as ScramCredential;
}

export function parseApiTokenRecord(value: unknown): ApiTokenRecord {
  const problem = apiTokenRecordProblem(value);
  if (problem) throw invalid(problem);
  const record = value as ApiTokenRecord;
  parsePrincipal(record.principal);
  return record;
}

/** Shape validation of a change read from JSON; rules that need the state are in applySecurityChange. */
export function parseSecurityChange(value: unknown): SecurityChange {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid("security change must be an object");
  const v = value as Record<string, unknown>;
  const type = v.type;
  if (typeof type !== "string" || !Object.hasOwn(FIELDS, type))
    throw invalid(`unknown security change type ${JSON.stringify(type)}; expected one of ${Object.keys(FIELDS).join(", ")}`);
  const t = type as SecurityChangeType;
  for (const key of Object.keys(v))
    if (key !== "type" && !FIELDS[t].includes(key)) throw invalid(`unknown field "${key}" in a ${t} change`);
  switch (t) {
    case "add-user": {
      assertUserName(v.name);
      if (v.credentials === undefined) return { type: t, name: v.name };
      if (!Array.isArray(v.credentials)) throw invalid("credentials must be an array of SCRAM credentials");
      const credentials = v.credentials.map(parseScramCredential);
      const mechanisms = credentials.map((c) => c.mechanism);
      if (new Set(mechanisms).size !== mechanisms.length) throw invalid("at most one credential per SCRAM mechanism");
      return { type: t, name: v.name, credentials };
    }
    case "remove-user":
      assertUserName(v.name);
      return { type: t, name: v.name };
    case "set-scram-credential":
      assertUserName(v.name);
      return { type: t, name: v.name, credential: parseScramCredential(v.credential) };
    case "remove-scram-credential":
      assertUserName(v.name);
      if (!isScramMechanism(v.mechanism)) throw invalid(`unknown SCRAM mechanism ${JSON.stringify(v.mechanism)}`);
      return { type: t, name: v.name, mechanism: v.mechanism };
    case "add-token":
      return { type: t, token: parseApiTokenRecord(v.token) };
    case "revoke-token":
      if (typeof v.id !== "string" || !/^[0-9a-f]{16}$/.test(v.id)) throw invalid("token id must be 16 lowercase hex digits");
      return { type: t, id: v.id };
    case "add-acl":
    case "remove-acl":
      return { type: t, binding: parseAclBinding(v.binding) };
  }
}
