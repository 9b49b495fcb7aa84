import { type AclOperation, CLUSTER_RESOURCE, groupResource, type Resource, topicResource } from "../auth/acl.ts";

/**
 * What each public route needs, as Kafka's ACL operations on topics, groups and the
 * cluster (Kafka's per-API table: Produce needs WRITE on the topic, Fetch READ, CreateTopics
 * CREATE on the topic or the cluster, DeleteTopics DELETE, OffsetCommit READ on the group
 * and the topic, DescribeGroups DESCRIBE, CreateAcls ALTER on the cluster …). Checked once
 * the body is parsed and validated, before the handler runs, so a refused call changes
 * nothing. "filtered" routes need no permission up front but answer only with what the
 * caller may describe. A route missing from this table needs ALTER on the cluster (only
 * an administrator passes), so a route added without a rule is closed, not open.
 */

/** One permission: the operation on the first resource that allows it (of usually one). */
export interface Need {
  operation: AclOperation;
  resources: Resource[];
}

export interface RouteInput {
  body: unknown;
  params: Record<string, string | undefined>;
  query: Record<string, unknown>;
}

export type RouteRule = "filtered" | ((input: RouteInput) => Need[]);

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

const on = (operation: AclOperation, ...resources: Resource[]): Need => ({ operation, resources });
const topicNeed = (operation: AclOperation, name: string | undefined): Need[] => (name === undefined ? [] : [on(operation, topicResource(name))]);
const groupNeed = (operation: AclOperation, name: string | undefined): Need[] => (name === undefined ? [] : [on(operation, groupResource(name))]);

/** Topic names of a list field of the body (`topics: [..]`, or `offsets: [{topic}]`). */
function topicsIn(list: unknown, pick: (item: unknown) => unknown = (item) => item): string[] {
  if (!Array.isArray(list)) return [];
  return [...new Set(list.map(pick).filter((name): name is string => typeof name === "string"))];
}

const clusterDescribe = (): Need[] => [on("DESCRIBE", CLUSTER_RESOURCE)];
const clusterAlter = (): Need[] => [on("ALTER", CLUSTER_RESOURCE)];

export const ROUTE_RULES: Readonly<Record<string, RouteRule>> = {
  "POST /create-topic": ({ body }) => {
    const topic = text(field(body, "topic"));
    return topic === undefined ? [] : [on("CREATE", topicResource(topic), CLUSTER_RESOURCE)];
  },
  "GET /list-topics": "filtered",
  "GET /topics": "filtered",
  "GET /metadata": "filtered",
  "GET /topics/:topic": ({ params }) => topicNeed("DESCRIBE", params.topic),
  "DELETE /topics/:topic": ({ params }) => topicNeed("DELETE", params.topic),
  // A topic's own settings (retention): Kafka's IncrementalAlterConfigs needs ALTER_CONFIGS.
  "PATCH /topics/:topic": ({ params }) => topicNeed("ALTER_CONFIGS", params.topic),
  // More partitions for a topic: Kafka's CreatePartitions needs ALTER on the topic.
  "POST /topics/:topic/partitions": ({ params }) => topicNeed("ALTER", params.topic),
  // A schema changes what the topic accepts: Kafka's ALTER (on the topic's configuration).
  "POST /register-schema": ({ body }) => topicNeed("ALTER", text(field(body, "topic"))),
  "GET /schemas/:topic": ({ params }) => topicNeed("DESCRIBE", params.topic),
  "POST /produce": ({ body }) => topicNeed("WRITE", text(field(body, "topic"))),
  "GET /consume": ({ query }) => topicNeed("READ", text(query.topic)),
  "GET /topics/:topic/partitions/:partition/records": ({ params }) => topicNeed("READ", params.topic),
  "GET /topics/:topic/partitions/:partition/records/stream": ({ params }) => topicNeed("READ", params.topic),
  "GET /groups": "filtered",
  "GET /groups/:group": ({ params }) => groupNeed("DESCRIBE", params.group),
  "POST /groups/:group/members": ({ params, body }) => [
    ...groupNeed("READ", params.group),
    ...topicsIn(field(body, "topics")).flatMap((t) => topicNeed("READ", t)),
  ],
  "POST /groups/:group/members/:member/heartbeat": ({ params }) => groupNeed("READ", params.group),
  "DELETE /groups/:group/members/:member": ({ params }) => groupNeed("READ", params.group),
  "POST /groups/:group/offsets": ({ params, body }) => [
    ...groupNeed("READ", params.group),
    ...topicsIn(field(body, "offsets"), (o) => field(o, "topic")).flatMap((t) => topicNeed("READ", t)),
  ],
  "GET /groups/:group/offsets": ({ params, query }) => [...groupNeed("DESCRIBE", params.group), ...topicNeed("DESCRIBE", text(query.topic))],
  "DELETE /groups/:group/offsets": ({ params, query }) => [...groupNeed("DELETE", params.group), ...topicNeed("READ", text(query.topic))],
  "GET /cluster": clusterDescribe,
  "GET /cluster/metrics": clusterDescribe,
  "GET /metrics": clusterDescribe,
  "GET /admin/users": clusterDescribe,
  "POST /admin/users": clusterAlter,
  "DELETE /admin/users/:name": clusterAlter,
  "POST /admin/users/:name/tokens": clusterAlter,
  "GET /admin/tokens": clusterDescribe,
  "DELETE /admin/tokens/:id": clusterAlter,
  "GET /admin/acls": clusterDescribe,
  "POST /admin/acls": clusterAlter,
  "DELETE /admin/acls": clusterAlter,
  "GET /admin/whoami": () => [],
  // Bringing a partition back empty is a cluster operator's decision (KIP-966's unclean recovery).
  "POST /admin/partitions/:topic/:partition/accept-data-loss": clusterAlter,
};

/** The rule of `method route`; unknown routes need ALTER on the cluster. */
export function routeRule(method: string, route: string): RouteRule {
  return ROUTE_RULES[`${method} ${route}`] ?? clusterAlter;
}

/** The permissions a call of `method route` needs; unknown routes need ALTER on the cluster. */
export function routeNeeds(method: string, route: string, input: RouteInput): Need[] | "filtered" {
  const rule = routeRule(method, route);
  return rule === "filtered" ? rule : rule(input);
}
