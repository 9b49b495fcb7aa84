import { StreamNestError } from "../lib/errors.ts";
import { type AclOperation, type Resource, describeResource } from "./acl.ts";
import { ADMIN_PRINCIPAL } from "./admin-token.ts";
import type { ApiTokenRecord } from "./api-token.ts";
import { Authorizer } from "./authorizer.ts";
import { type ClientAuthMode, ClientAuthenticator } from "./client-authenticator.ts";
import type { Principal } from "./principal.ts";
import type { SecurityState } from "./security-state.ts";

/**
 * Who a client is and what it may do, for every adapter: tokens are found first among the
 * bootstrap admin's, then in the replicated security state; permissions are the state's
 * ACL bindings under Kafka's rule (authorizer.ts), with the bootstrap admin a super user.
 * The state is read on each call (it changes as the metadata log is applied), and the
 * Authorizer is rebuilt only when the bindings changed, which the state tells by identity.
 * With authentication off, every client is ANONYMOUS and may do everything, as a Kafka
 * cluster without an authorizer.
 */
export interface AccessControlOptions {
  readonly mode: ClientAuthMode;
  /** The bootstrap admin's token (with mode "token"). */
  readonly bootstrap?: ApiTokenRecord;
  /** The replicated users, tokens and ACLs as this broker holds them now. */
  readonly security: () => SecurityState;
  readonly now?: () => number;
}

/** What a refusal names: the permission missing, so a client can ask for exactly it. */
export interface MissingPermission {
  readonly principal: Principal;
  readonly operation: AclOperation;
  readonly resource_type: Resource["type"];
  readonly resource_name: string;
}

/** How many (principal, operation, resource) decisions are kept; past it they are forgotten all at once. */
export const DECISIONS_MAX = 4096;

/**
 * The authorizer's answers for one set of bindings, so a client's usual call is a few map
 * lookups: by principal, operation and resource type (strings the caller holds already,
 * whose hashes the engine keeps), then by the resource's name. No key is built per call.
 */
type Decisions = Map<Principal, Map<AclOperation, Map<Resource["type"], Map<string, boolean>>>>;

interface Built {
  readonly acls: SecurityState["acls"];
  readonly authorizer: Authorizer;
  readonly decisions: Decisions;
  /** How many answers `decisions` holds. */
  size: number;
}

export class AccessControl {
  readonly authenticator: ClientAuthenticator;
  readonly #security: () => SecurityState;
  #built: Built | undefined;

  constructor(options: AccessControlOptions) {
    const bootstrap = options.bootstrap;
    this.#security = options.security;
    this.authenticator = new ClientAuthenticator(
      options.mode,
      (id) => (bootstrap !== undefined && id === bootstrap.id ? bootstrap : options.security().tokens.get(id)),
      options.now,
    );
  }

  /** False with --auth=none: nobody is checked. */
  get enabled(): boolean {
    return this.authenticator.mode !== "none";
  }

  /** The principal of a request's `Authorization` header, or UNAUTHORIZED. */
  authenticate(authorization: string | null): Principal {
    return this.authenticator.authenticate(authorization);
  }

  authorizer(): Authorizer {
    return this.#current().authorizer;
  }

  /**
   * The Authorizer of the bindings in effect now, with its cache of decisions. A change of
   * the bindings (an ACL added or removed, a snapshot) gives the state a new map, so the
   * decisions made under the old one are dropped with it, and a revoked permission is
   * refused from the next call on.
   */
  #current(): Built {
    const acls = this.#security().acls;
    if (this.#built?.acls !== acls)
      this.#built = { acls, authorizer: new Authorizer(acls.values(), { superUsers: [ADMIN_PRINCIPAL] }), decisions: new Map(), size: 0 };
    return this.#built;
  }

  allowed(principal: Principal, operation: AclOperation, resource: Resource): boolean {
    if (!this.enabled) return true;
    const built = this.#current();
    const known = built.decisions.get(principal)?.get(operation)?.get(resource.type)?.get(resource.name);
    if (known !== undefined) return known;
    const allowed = built.authorizer.permits(principal, operation, resource);
    // Bounded: names come from clients, and a client naming ever new topics must not grow it without end.
    if (built.size >= DECISIONS_MAX) {
      built.decisions.clear();
      built.size = 0;
    }
    const byOperation = built.decisions.get(principal) ?? setIn(built.decisions, principal, new Map());
    const byType = byOperation.get(operation) ?? setIn(byOperation, operation, new Map());
    const byName = byType.get(resource.type) ?? setIn(byType, resource.type, new Map());
    byName.set(resource.name, allowed);
    built.size++;
    return allowed;
  }

  /**
   * Throws FORBIDDEN naming the permission missing unless the principal may do
   * `operation` on one of `resources` (Kafka allows a topic's creation by CREATE on the
   * topic or on the cluster: the first is named when both are refused).
   */
  check(principal: Principal, operation: AclOperation, ...resources: Resource[]): void {
    if (!this.enabled) return;
    for (const resource of resources) if (this.allowed(principal, operation, resource)) return;
    const resource = resources[0];
    if (resource === undefined) throw new StreamNestError("INTERNAL_ERROR", "a permission check named no resource");
    const missing: MissingPermission = { principal, operation, resource_type: resource.type, resource_name: resource.name };
    throw new StreamNestError("FORBIDDEN", `${principal} lacks ${operation} on ${describeResource(resource)}`, missing);
  }

  /** The topics, in order, that the principal may describe: a principal never learns the others' names. */
  describableTopics(principal: Principal, names: readonly string[]): string[] {
    return this.enabled ? this.authorizer().filterDescribable(principal, names) : [...names];
  }

  /** The groups, in order, that the principal may describe. */
  describableGroups(principal: Principal, names: readonly string[]): string[] {
    return this.enabled ? this.authorizer().filterAuthorized(principal, "DESCRIBE", "GROUP", names) : [...names];
  }
}

function setIn<K, V>(map: Map<K, V>, key: K, value: V): V {
  map.set(key, value);
  return value;
}
