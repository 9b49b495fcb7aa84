import { type AclOperation, CLUSTER_RESOURCE, describeResource, groupResource, type Resource, topicResource } from "../auth/acl.ts";
import { ANONYMOUS, type Principal } from "../auth/principal.ts";
import type { StreamNestError } from "../lib/errors.ts";
import type { ConnectionInfo, KafkaContext } from "./context.ts";
import { type KafkaErrorName, protocolError } from "./protocol/error-codes.ts";

/**
 * Kafka's ACL checks (KafkaApis + StandardAuthorizer) over the same AccessControl as the HTTP
 * API: the connection's SASL principal, the replicated ACL bindings, User:admin a super user.
 * A refusal is a FORBIDDEN StreamNestError that carries the Kafka error the protocol defines
 * for the resource (TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED) and names the permission
 * missing. With --auth=none everything is allowed.
 */
export function principalOf(conn: ConnectionInfo): Principal {
  return conn.auth.principal ?? ANONYMOUS;
}

export function isAllowed(ctx: KafkaContext, conn: ConnectionInfo, operation: AclOperation, resource: Resource): boolean {
  return ctx.access.allowed(principalOf(conn), operation, resource);
}

const FAILED: Record<Resource["type"], KafkaErrorName> = {
  TOPIC: "TOPIC_AUTHORIZATION_FAILED",
  GROUP: "GROUP_AUTHORIZATION_FAILED",
  CLUSTER: "CLUSTER_AUTHORIZATION_FAILED",
};

export function refusal(conn: ConnectionInfo, operation: AclOperation, resource: Resource): StreamNestError {
  return protocolError("FORBIDDEN", FAILED[resource.type], `${principalOf(conn)} lacks ${operation} on ${describeResource(resource)}`);
}

export function requireTopic(ctx: KafkaContext, conn: ConnectionInfo, operation: AclOperation, topic: string): void {
  if (!isAllowed(ctx, conn, operation, topicResource(topic))) throw refusal(conn, operation, topicResource(topic));
}

export function requireGroup(ctx: KafkaContext, conn: ConnectionInfo, operation: AclOperation, group: string): void {
  if (!isAllowed(ctx, conn, operation, groupResource(group))) throw refusal(conn, operation, groupResource(group));
}

export function requireCluster(ctx: KafkaContext, conn: ConnectionInfo, operation: AclOperation): void {
  if (!isAllowed(ctx, conn, operation, CLUSTER_RESOURCE)) throw refusal(conn, operation, CLUSTER_RESOURCE);
}

/** Creating a topic takes CREATE on the cluster or on the topic (Kafka's CreateTopics rule). */
export function requireCreate(ctx: KafkaContext, conn: ConnectionInfo, topic: string): void {
  if (!isAllowed(ctx, conn, "CREATE", CLUSTER_RESOURCE)) requireTopic(ctx, conn, "CREATE", topic);
}
