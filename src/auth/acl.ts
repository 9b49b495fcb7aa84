import { StreamNestError } from "../lib/errors.ts";
import { topicNameProblem } from "../lib/topic-name.ts";
import { type Principal, parsePrincipal } from "./principal.ts";

/**
 * ACL bindings as Kafka's (KIP-11 ACLs, KIP-290 prefixed patterns): who (a principal or
 * `User:*`) may or may not do which operation on which resource (exact name, `*`, or a name
 * prefix). Host restrictions are not modelled: every binding applies from any host (`*`).
 */
export const ACL_OPERATIONS = [
  "ALL",
  "READ",
  "WRITE",
  "CREATE",
  "DELETE",
  "ALTER",
  "DESCRIBE",
  "CLUSTER_ACTION",
  "DESCRIBE_CONFIGS",
  "ALTER_CONFIGS",
  "IDEMPOTENT_WRITE",
] as const;
export type AclOperation = (typeof ACL_OPERATIONS)[number];

export const RESOURCE_TYPES = ["TOPIC", "GROUP", "CLUSTER"] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const PATTERN_TYPES = ["LITERAL", "PREFIXED"] as const;
export type PatternType = (typeof PATTERN_TYPES)[number];

export const PERMISSIONS = ["ALLOW", "DENY"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** A LITERAL binding on `*` matches every resource of its type (Kafka's WILDCARD_RESOURCE). */
export const WILDCARD_RESOURCE = "*";
/** The one cluster resource's name, as Kafka spells it. */
export const CLUSTER_NAME = "kafka-cluster";

export interface Resource {
  readonly type: ResourceType;
  readonly name: string;
}

export const CLUSTER_RESOURCE: Resource = { type: "CLUSTER", name: CLUSTER_NAME };

export function topicResource(name: string): Resource {
  return { type: "TOPIC", name };
}

export function groupResource(name: string): Resource {
  return { type: "GROUP", name };
}

/** JSON-serializable; lives in the replicated security state. */
export interface AclBinding {
  readonly principal: Principal;
  readonly permission: Permission;
  readonly operation: AclOperation;
  readonly resourceType: ResourceType;
  readonly patternType: PatternType;
  readonly resourceName: string;
}

// Kafka's AclEntry.supportedOperations: the operations that mean something per resource type.
export const OPERATIONS_BY_RESOURCE: Readonly<Record<ResourceType, readonly AclOperation[]>> = {
  TOPIC: ["ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"],
  GROUP: ["ALL", "READ", "DELETE", "DESCRIBE"],
  CLUSTER: ["ALL", "CREATE", "ALTER", "DESCRIBE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE"],
};

// Kafka (StandardAuthorizerData): an ALLOW of READ, WRITE, DELETE or ALTER also allows
// DESCRIBE; ALTER_CONFIGS allows DESCRIBE_CONFIGS; ALL allows everything.
const IMPLIED_BY: Partial<Record<AclOperation, readonly AclOperation[]>> = {
  DESCRIBE: ["READ", "WRITE", "DELETE", "ALTER"],
  DESCRIBE_CONFIGS: ["ALTER_CONFIGS"],
};

export function allowGrants(allowed: AclOperation, requested: AclOperation): boolean {
  return allowed === "ALL" || allowed === requested || (IMPLIED_BY[requested]?.includes(allowed) ?? false);
}

// A DENY covers only its own operation (or all): denying READ does not deny DESCRIBE.
export function denyCovers(denied: AclOperation, requested: AclOperation): boolean {
  return denied === "ALL" || denied === requested;
}

export function describeResource(resource: Resource): string {
  if (resource.type === "CLUSTER") return "the cluster";
  return `${resource.type.toLowerCase()} ${JSON.stringify(resource.name)}`;
}

export function describeBinding(b: AclBinding): string {
  const target =
    b.resourceType === "CLUSTER"
      ? "the cluster"
      : b.patternType === "PREFIXED"
        ? `${b.resourceType.toLowerCase()}s prefixed ${JSON.stringify(b.resourceName)}`
        : b.resourceName === WILDCARD_RESOURCE
          ? `every ${b.resourceType.toLowerCase()}`
          : `${b.resourceType.toLowerCase()} ${JSON.stringify(b.resourceName)}`;
  return `${b.permission} ${b.principal} ${b.operation} on ${target}`;
}

/** Canonical text of a binding: two bindings are the same iff their keys are equal. */
export function aclBindingKey(b: AclBinding): string {
  return JSON.stringify([b.principal, b.permission, b.operation, b.resourceType, b.patternType, b.resourceName]);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new StreamNestError("INVALID_REQUEST", `${what} must be one of ${allowed.join(", ")}; got ${JSON.stringify(value)}`);
}

const FIELDS = ["principal", "permission", "operation", "resourceType", "patternType", "resourceName"];

/** Validates a binding from any source (admin command, metadata log) and returns it typed. */
export function parseAclBinding(value: unknown): AclBinding {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new StreamNestError("INVALID_REQUEST", "ACL binding must be an object");
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v))
    if (!FIELDS.includes(key)) throw new StreamNestError("INVALID_REQUEST", `unknown ACL binding field "${key}"`);
  const principal = parsePrincipal(v.principal, true);
  const permission = oneOf(v.permission, PERMISSIONS, "ACL permission");
  const operation = oneOf(v.operation, ACL_OPERATIONS, "ACL operation");
  const resourceType = oneOf(v.resourceType, RESOURCE_TYPES, "ACL resource type");
  const patternType = oneOf(v.patternType, PATTERN_TYPES, "ACL pattern type");
  if (typeof v.resourceName !== "string") throw new StreamNestError("INVALID_REQUEST", "ACL resource name must be a string");
  const resourceName = v.resourceName;
  if (!OPERATIONS_BY_RESOURCE[resourceType].includes(operation))
    throw new StreamNestError(
      "INVALID_REQUEST",
      `operation ${operation} does not apply to ${resourceType}; use one of ${OPERATIONS_BY_RESOURCE[resourceType].join(", ")}`,
    );
  const problem = resourceNameProblem(resourceType, patternType, resourceName);
  if (problem) throw new StreamNestError("INVALID_REQUEST", problem);
  return { principal, permission, operation, resourceType, patternType, resourceName };
}

function resourceNameProblem(type: ResourceType, pattern: PatternType, name: string): string | undefined {
  if (type === "CLUSTER")
    return pattern === "LITERAL" && name === CLUSTER_NAME
      ? undefined
      : `a CLUSTER binding must be LITERAL on "${CLUSTER_NAME}"`;
  if (name.length === 0) return `${type} resource name is empty`;
  if (pattern === "PREFIXED" && name === WILDCARD_RESOURCE)
    return `a PREFIXED binding on "*" is meaningless; use LITERAL "*" for every ${type.toLowerCase()}`;
  if (type === "TOPIC" && name !== WILDCARD_RESOURCE) {
    // A prefix need not be a whole legal name ("." alone is a fine prefix), only made of legal characters.
    if (pattern === "PREFIXED") return /^[a-zA-Z0-9._-]{1,249}$/.test(name) ? undefined : `topic prefix "${name}" has characters no topic name can contain`;
    return topicNameProblem(name);
  }
  if (name.length > 1024) return `${type} resource name is longer than 1024 characters`;
  return undefined;
}
