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

/** How a check was decided: the rule's branches, before any of them is put in words. */
type Decision =
  | { readonly kind: "super-user" | "no-acl" | "denied" | "refused" }
  | { readonly kind: "allowed"; readonly by: AclBinding };

const SUPER_USER: Decision = { kind: "super-user" };
const NO_ACL: Decision = { kind: "no-acl" };
const DENIED: Decision = { kind: "denied" };
const REFUSED: Decision = { kind: "refused" };

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
    const decision = this.#decide(principal, operation, resource);
    switch (decision.kind) {
      case "super-user":
        return { allowed: true, reason: `${principal} is a super user` };
      case "no-acl":
        return { allowed: true, reason: `no ACL names ${describeResource(resource)}, and allowIfNoAclFound is set` };
      case "denied":
        // The binding itself is not named to the caller: it would reveal the ACL configuration.
        return { allowed: false, reason: `${principal} lacks ${what} (denied by an ACL)` };
      case "allowed":
        return { allowed: true, reason: `${principal} may ${what} (${describeBinding(decision.by)})` };
      case "refused":
        return { allowed: false, reason: `${principal} lacks ${what}` };
    }
  }

  /**
   * authorize()'s answer without its reason. The hot path (a check on every produce and
   * fetch) takes this one: the reason's text (JSON-quoted names, the binding described)
   * once cost more than the lookup itself.
   */
  permits(principal: Principal, operation: AclOperation, resource: Resource): boolean {
    const kind = this.#decide(principal, operation, resource).kind;
    return kind === "super-user" || kind === "no-acl" || kind === "allowed";
  }

  #decide(principal: Principal, operation: AclOperation, resource: Resource): Decision {
    if (this.#superUsers.has(principal)) return SUPER_USER;
    const candidates = this.#index.matching(resource);
    if (candidates.length === 0 && this.#allowIfNoAclFound) return NO_ACL;
    let allowedBy: AclBinding | undefined;
    for (const binding of candidates) {
      if (binding.principal !== principal && binding.principal !== ANY_USER) continue;
      if (binding.permission === "DENY") {
        if (denyCovers(binding.operation, operation)) return DENIED;
      } else if (!allowedBy && allowGrants(binding.operation, operation)) allowedBy = binding;
    }
    return allowedBy ? { kind: "allowed", by: allowedBy } : REFUSED;
  }

  /** authorize(), throwing FORBIDDEN with the reason when refused. */
  check(principal: Principal, operation: AclOperation, resource: Resource): void {
    const result = this.authorize(principal, operation, resource);
    if (!result.allowed) throw new StreamNestError("FORBIDDEN", result.reason);
  }

  /** The names, in order, on which the principal may do `operation`. */
  filterAuthorized(principal: Principal, operation: AclOperation, type: ResourceType, names: Iterable<string>): string[] {
    const out: string[] = [];
    for (const name of names) if (this.permits(principal, operation, { type, name })) out.push(name);
    return out;
  }

  /** Topics the principal may describe: list and metadata answers show only these. */
  filterDescribable(principal: Principal, topics: Iterable<string>): string[] {
    return this.filterAuthorized(principal, "DESCRIBE", "TOPIC", topics);
  }
}
