import { StreamNestError } from "../lib/errors.ts";
import { type AclBinding, aclBindingKey, parseAclBinding } from "./acl.ts";
import type { ApiTokenRecord } from "./api-token.ts";
import { principalName } from "./principal.ts";
import type { ScramCredential, ScramMechanism } from "./scram-credential.ts";
import { type SecurityChange, parseApiTokenRecord, parseScramCredential, parseSecurityChange } from "./security-change.ts";
import type { ScramCredentialLookup } from "./scram-server.ts";

/**
 * Users, token hashes and ACL bindings: the state every broker must agree on, so it is
 * changed only by applying SecurityChanges in log order. applySecurityChange is pure: the
 * old state is untouched and unchanged parts are shared, so a holder can tell by identity
 * whether, say, the ACLs changed (and rebuild its Authorizer only then).
 */
export interface UserRecord {
  readonly name: string;
  readonly scram: Readonly<Partial<Record<ScramMechanism, ScramCredential>>>;
}

export interface SecurityState {
  readonly users: ReadonlyMap<string, UserRecord>;
  readonly tokens: ReadonlyMap<string, ApiTokenRecord>;
  /** Keyed by aclBindingKey(), in the order the bindings were added. */
  readonly acls: ReadonlyMap<string, AclBinding>;
}

export const EMPTY_SECURITY_STATE: SecurityState = { users: new Map(), tokens: new Map(), acls: new Map() };

function userOf(state: SecurityState, name: string): UserRecord {
  const user = state.users.get(name);
  if (!user) throw new StreamNestError("USER_NOT_FOUND", `user "${name}" does not exist`);
  return user;
}

function withUser(state: SecurityState, user: UserRecord): SecurityState {
  return { ...state, users: new Map(state.users).set(user.name, user) };
}

/**
 * Validates the change against the state and returns the new state, or throws (INVALID_REQUEST,
 * USER_EXISTS, USER_NOT_FOUND, NOT_FOUND). Adding an ACL that exists or removing one that does
 * not returns the same state object, as Kafka's CreateAcls/DeleteAcls are idempotent.
 */
export function applySecurityChange(state: SecurityState, input: SecurityChange): SecurityState {
  const change = parseSecurityChange(input);
  switch (change.type) {
    case "add-user": {
      if (state.users.has(change.name)) throw new StreamNestError("USER_EXISTS", `user "${change.name}" already exists`);
      const scram: Partial<Record<ScramMechanism, ScramCredential>> = {};
      for (const credential of change.credentials ?? []) scram[credential.mechanism] = credential;
      return withUser(state, { name: change.name, scram });
    }
    case "remove-user": {
      userOf(state, change.name);
      const users = new Map(state.users);
      users.delete(change.name);
      // A deleted user's tokens stop working with it; its ACL bindings stay, as in Kafka.
      const owned = [...state.tokens.values()].filter((t) => principalName(t.principal) === change.name);
      if (owned.length === 0) return { ...state, users };
      const tokens = new Map(state.tokens);
      for (const token of owned) tokens.delete(token.id);
      return { ...state, users, tokens };
    }
    case "set-scram-credential": {
      const user = userOf(state, change.name);
      return withUser(state, { name: user.name, scram: { ...user.scram, [change.credential.mechanism]: change.credential } });
    }
    case "remove-scram-credential": {
      const user = userOf(state, change.name);
      if (!user.scram[change.mechanism])
        throw new StreamNestError("NOT_FOUND", `user "${change.name}" has no ${change.mechanism} credential`);
      const scram = { ...user.scram };
      delete scram[change.mechanism];
      return withUser(state, { name: user.name, scram });
    }
    case "add-token": {
      const { token } = change;
      userOf(state, principalName(token.principal));
      if (state.tokens.has(token.id)) throw new StreamNestError("INVALID_REQUEST", `token id ${token.id} is already in use`);
      return { ...state, tokens: new Map(state.tokens).set(token.id, token) };
    }
    case "revoke-token": {
      if (!state.tokens.has(change.id)) throw new StreamNestError("NOT_FOUND", `no API token has id ${change.id}`);
      const tokens = new Map(state.tokens);
      tokens.delete(change.id);
      return { ...state, tokens };
    }
    case "add-acl": {
      const key = aclBindingKey(change.binding);
      if (state.acls.has(key)) return state;
      return { ...state, acls: new Map(state.acls).set(key, change.binding) };
    }
    case "remove-acl": {
      const key = aclBindingKey(change.binding);
      if (!state.acls.has(key)) return state;
      const acls = new Map(state.acls);
      acls.delete(key);
      return { ...state, acls };
    }
  }
}

/** Lookup for ScramServer and authenticatePlain. */
export function scramCredentialLookup(state: SecurityState): ScramCredentialLookup {
  return (name, mechanism) => state.users.get(name)?.scram[mechanism];
}

/** Lookup for verifyApiToken. */
export function apiTokenLookup(state: SecurityState): (id: string) => ApiTokenRecord | undefined {
  return (id) => state.tokens.get(id);
}

export interface SecurityStateJSON {
  readonly users: readonly { readonly name: string; readonly credentials: readonly ScramCredential[] }[];
  readonly tokens: readonly ApiTokenRecord[];
  readonly acls: readonly AclBinding[];
}

/** For snapshots: a plain, deterministic (sorted users and tokens) JSON form. */
export function securityStateToJSON(state: SecurityState): SecurityStateJSON {
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    users: [...state.users.values()].sort(byName).map((u) => ({
      name: u.name,
      credentials: (["SCRAM-SHA-256", "SCRAM-SHA-512"] as const).flatMap((m) => (u.scram[m] ? [u.scram[m]] : [])),
    })),
    tokens: [...state.tokens.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    acls: [...state.acls.values()],
  };
}

/** Rebuilds a state from its JSON form, validating every part as a change would be. */
export function securityStateFromJSON(value: unknown): SecurityState {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new StreamNestError("INVALID_REQUEST", "security state must be an object");
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v))
    if (!["users", "tokens", "acls"].includes(key)) throw new StreamNestError("INVALID_REQUEST", `unknown security state field "${key}"`);
  const list = (field: string): unknown[] => {
    const items = v[field];
    if (!Array.isArray(items)) throw new StreamNestError("INVALID_REQUEST", `security state ${field} must be an array`);
    return items;
  };
  let state = EMPTY_SECURITY_STATE;
  for (const user of list("users")) {
    if (user === null || typeof user !== "object" || Array.isArray(user))
      throw new StreamNestError("INVALID_REQUEST", "each user of the security state must be an object");
    const u = user as Record<string, unknown>;
    for (const key of Object.keys(u))
      if (key !== "name" && key !== "credentials") throw new StreamNestError("INVALID_REQUEST", `unknown user field "${key}"`);
    const credentials = Array.isArray(u.credentials) ? u.credentials.map(parseScramCredential) : u.credentials;
    state = applySecurityChange(state, parseSecurityChange({ type: "add-user", name: u.name, credentials }));
  }
  for (const token of list("tokens")) state = applySecurityChange(state, { type: "add-token", token: parseApiTokenRecord(token) });
  for (const binding of list("acls")) state = applySecurityChange(state, { type: "add-acl", binding: parseAclBinding(binding) });
  return state;
}
