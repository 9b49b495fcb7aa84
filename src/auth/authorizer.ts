import { StreamNestError } from "../lib/errors.ts";
import {
  type AclBinding,
  type AclOperation,
  type Resource,
  type ResourceType,
  allowGrants,
  denyCovers,
  describeBinding,
  describeResource,
} from "./acl.ts";
import { AclIndex } from "./acl-index.ts";
import { ANY_USER, type Principal } from "./principal.ts";

export interface AuthorizerOptions {
  /** Principals allowed everything, whatever the bindings (Kafka's `super.users`). */
  readonly superUsers?: Iterable<Principal>;
  /** Kafka's `allow.everyone.if.no.acl.found`: allow when no binding names the resource. Default false. */
  readonly allowIfNoAclFound?: boolean;
}

export interface AuthorizationResult {
  readonly allowed: boolean;
  /** Why, in words fit for a refusal (`User:alice lacks WRITE on topic "orders"`) or an audit log. */
  readonly reason: string;
}

/**
 * Kafka's authorization rule (StandardAuthorizer): a super user may do anything; otherwise a
 * matching DENY wins over any ALLOW; otherwise a matching ALLOW (with implications such as
 * READ ⇒ DESCRIBE) allows; otherwise the request is refused. Transport-free: adapters map a
 * refusal to 403 or to TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED.
 */
export class Authorizer {
  readonly #index: AclIndex;
  readonly #superUsers: ReadonlySet<Principal>;
  readonly #allowIfNoAclFound: boolean;

  constructor(bindings: Iterable<AclBinding>, options: AuthorizerOptions = {}) {
    this.#index = new AclIndex(bindings);
    this.#superUsers = new Set(options.superUsers ?? []);
    this.#allowIfNoAclFound = options.allowIfNoAclFound ?? false;
  }

  isSuperUser(principal: Principal): boolean {
    return this.#superUsers.has(principal);
  }

  authorize(principal: Principal, operation: AclOperation, resource: Resource): AuthorizationResult {
    const what = `${operation} on ${describeResource(resource)}`;
    if (this.#superUsers.has(principal)) return { allowed: true, reason: `${principal} is a super user` };
    const candidates = this.#index.matching(resource);
    if (candidates.length === 0 && this.#allowIfNoAclFound)
      return { allowed: true, reason: `no ACL names ${describeResource(resource)}, and allowIfNoAclFound is set` };
    let allowedBy: AclBinding | undefined;
    for (const binding of candidates) {
      if (binding.principal !== principal && binding.principal !== ANY_USER) continue;
      if (binding.permission === "DENY") {
        // The binding itself is not named to the caller: it would reveal the ACL configuration.
        if (denyCovers(binding.operation, operation))
          return { allowed: false, reason: `${principal} lacks ${what} (denied by an ACL)` };
      } else if (!allowedBy && allowGrants(binding.operation, operation)) allowedBy = binding;
    }
    if (allowedBy) return { allowed: true, reason: `${principal} may ${what} (${describeBinding(allowedBy)})` };
    return { allowed: false, reason: `${principal} lacks ${what}` };
  }

  /** authorize(), throwing FORBIDDEN with the reason when refused. */
  check(principal: Principal, operation: AclOperation, resource: Resource): void {
    const result = this.authorize(principal, operation, resource);
    if (!result.allowed) throw new StreamNestError("FORBIDDEN", result.reason);
  }

  /** The names, in order, on which the principal may do `operation`. */
  filterAuthorized(principal: Principal, operation: AclOperation, type: ResourceType, names: Iterable<string>): string[] {
    const out: string[] = [];
    for (const name of names) if (this.authorize(principal, operation, { type, name }).allowed) out.push(name);
    return out;
  }

  /** Topics the principal may describe: list and metadata answers show only these. */
  filterDescribable(principal: Principal, topics: Iterable<string>): string[] {
    return this.filterAuthorized(principal, "DESCRIBE", "TOPIC", topics);
  }
}
