import { Elysia, t } from "elysia";
import { type AclBinding, parseAclBinding } from "../auth/acl.ts";
import { ADMIN_PRINCIPAL } from "../auth/admin-token.ts";
import { type ApiTokenRecord, issueApiToken } from "../auth/api-token.ts";
import { ANONYMOUS, principalName, userPrincipal } from "../auth/principal.ts";
import { scramCredentialsForPassword, SCRAM_MECHANISMS } from "../auth/scram-credential.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { RouteContext } from "./context.ts";
import { ErrorBody } from "./models.ts";
import { json } from "./respond.ts";

/**
 * Users, API tokens and ACL bindings (issue 14), kept in the replicated metadata: each
 * change here is a metadata change committed like a topic's creation, so every broker
 * authenticates and authorizes alike at once. A password never leaves this broker: only
 * the SCRAM credentials derived from it (salted, iterated, as Kafka stores them) enter
 * the metadata; a token is shown once, and only its hash is kept. Permissions: DESCRIBE
 * on the cluster to read, ALTER on the cluster to change (route-permissions.ts).
 */

const tags = ["admin"];
const Name = t.String({ minLength: 1, description: "User name (the principal is User:<name>)", error: "name must be a non-empty string (the user name)" });

const AclBody = t.Object(
  {
    principal: t.String({ description: "User:<name>, or User:* for every user" }),
    operation: t.String({ description: "ALL, READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, …" }),
    resource_type: t.String({ description: "TOPIC, GROUP or CLUSTER" }),
    resource_name: t.String({ description: "A name, * for every one, or a prefix (pattern_type PREFIXED); kafka-cluster for CLUSTER" }),
    pattern_type: t.Optional(t.String({ description: "LITERAL (default) or PREFIXED" })),
    permission: t.Optional(t.String({ description: "ALLOW (default) or DENY" })),
  },
  { additionalProperties: false },
);

type AclInput = typeof AclBody.static;

const AclView = t.Object({
  principal: t.String(),
  permission: t.String(),
  operation: t.String(),
  resource_type: t.String(),
  pattern_type: t.String(),
  resource_name: t.String(),
});

function bindingOf(body: AclInput): AclBinding {
  return parseAclBinding({
    principal: body.principal,
    permission: body.permission ?? "ALLOW",
    operation: body.operation,
    resourceType: body.resource_type,
    patternType: body.pattern_type ?? "LITERAL",
    resourceName: body.resource_name,
  });
}

function aclView(b: AclBinding) {
  return {
    principal: b.principal,
    permission: b.permission,
    operation: b.operation,
    resource_type: b.resourceType,
    pattern_type: b.patternType,
    resource_name: b.resourceName,
  };
}

function tokenView(r: ApiTokenRecord) {
  return {
    id: r.id,
    principal: r.principal,
    created_at: r.createdAt,
    ...(r.expiresAt === undefined ? {} : { expires_at: r.expiresAt }),
    ...(r.description === undefined ? {} : { description: r.description }),
  };
}

export function adminRoutes(context: RouteContext) {
  const { broker, requests } = context;
  const ok = (method: string, route: string, body: unknown): Response => {
    requests.count(method, route, 200);
    return json(body);
  };
  return new Elysia()
    .get(
      "/admin/whoami",
      ({ request }) => {
        const principal = context.access?.principalOf(request) ?? ANONYMOUS;
        return ok("GET", "/admin/whoami", { principal, super_user: principal === ADMIN_PRINCIPAL, authentication: context.access ? "token" : "none" });
      },
      { detail: { tags, summary: "Who this request's token belongs to" } },
    )
    .get(
      "/admin/users",
      () => {
        const { users, tokens } = broker.security();
        const tokenCount = (name: string) => [...tokens.values()].filter((r) => principalName(r.principal) === name).length;
        return ok("GET", "/admin/users", {
          users: [...users.values()]
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
            .map((u) => ({
              name: u.name,
              mechanisms: SCRAM_MECHANISMS.filter((m) => u.scram[m] !== undefined),
              tokens: tokenCount(u.name),
              // A user named admin is User:admin, the bootstrap super user, whatever its ACLs say.
              super_user: u.name === principalName(ADMIN_PRINCIPAL),
            })),
        });
      },
      { detail: { tags, summary: "Users (names, SCRAM mechanisms, token counts, whether a super user; never credentials)" } },
    )
    .post(
      "/admin/users",
      async ({ body }) => {
        if (body.password !== undefined && body.password.length === 0)
          throw new StreamNestError("INVALID_REQUEST", "password is empty; leave it out for a user that signs in with tokens only");
        const credentials = body.password === undefined ? undefined : scramCredentialsForPassword(body.password);
        userPrincipal(body.name);
        await broker.changeSecurity({ type: "add-user", name: body.name, ...(credentials ? { credentials } : {}) });
        return ok("POST", "/admin/users", { status: "created", user: body.name, mechanisms: credentials?.map((c) => c.mechanism) ?? [] });
      },
      {
        body: t.Object({ name: Name, password: t.Optional(t.String({ description: "For SASL/SCRAM and PLAIN; stored as SCRAM credentials only" })) }, { additionalProperties: false }),
        response: { 400: ErrorBody, 403: ErrorBody, 409: ErrorBody },
        detail: { tags, summary: "Create a user (409 USER_EXISTS if it exists)" },
      },
    )
    .delete(
      "/admin/users/:name",
      async ({ params }) => {
        await broker.changeSecurity({ type: "remove-user", name: params.name });
        return ok("DELETE", "/admin/users/:name", { status: "deleted", user: params.name });
      },
      { params: t.Object({ name: t.String() }), detail: { tags, summary: "Delete a user and its tokens (its ACL bindings stay, as in Kafka)" } },
    )
    .post(
      "/admin/users/:name/tokens",
      async ({ params, body }) => {
        const principal = userPrincipal(params.name);
        if (!broker.security().users.has(params.name)) throw new StreamNestError("USER_NOT_FOUND", `user "${params.name}" does not exist`);
        const issued = issueApiToken(principal, {
          now: Date.now(),
          ...(body?.ttl_ms === undefined ? {} : { ttlMs: body.ttl_ms }),
          ...(body?.description === undefined ? {} : { description: body.description }),
        });
        await broker.changeSecurity({ type: "add-token", token: issued.record });
        return ok("POST", "/admin/users/:name/tokens", { token: issued.token, ...tokenView(issued.record) });
      },
      {
        params: t.Object({ name: t.String() }),
        body: t.Optional(
          t.Object(
            {
              ttl_ms: t.Optional(t.Integer({ minimum: 1, description: "Lifetime; default until revoked" })),
              description: t.Optional(t.String({ maxLength: 256 })),
            },
            { additionalProperties: false },
          ),
        ),
        detail: { tags, summary: "Issue an API token for a user; the token is shown in this answer only" },
      },
    )
    .get(
      "/admin/tokens",
      () => ok("GET", "/admin/tokens", { tokens: [...broker.security().tokens.values()].map(tokenView) }),
      { detail: { tags, summary: "API tokens (ids, owners, expiry; never the tokens)" } },
    )
    .delete(
      "/admin/tokens/:id",
      async ({ params }) => {
        await broker.changeSecurity({ type: "revoke-token", id: params.id });
        return ok("DELETE", "/admin/tokens/:id", { status: "revoked", id: params.id });
      },
      { params: t.Object({ id: t.String() }), detail: { tags, summary: "Revoke an API token (404 NOT_FOUND if unknown)" } },
    )
    .get("/admin/acls", () => ok("GET", "/admin/acls", { acls: [...broker.security().acls.values()].map(aclView) }), {
      response: { 200: t.Object({ acls: t.Array(AclView) }) },
      detail: { tags, summary: "ACL bindings" },
    })
    .post(
      "/admin/acls",
      async ({ body }) => {
        const changed = await broker.changeSecurity({ type: "add-acl", binding: bindingOf(body) });
        return ok("POST", "/admin/acls", { status: changed ? "created" : "exists" });
      },
      { body: AclBody, response: { 400: ErrorBody, 403: ErrorBody }, detail: { tags, summary: "Add an ACL binding (Kafka's CreateAcls)" } },
    )
    .delete(
      "/admin/acls",
      async ({ body }) => {
        const changed = await broker.changeSecurity({ type: "remove-acl", binding: bindingOf(body) });
        return ok("DELETE", "/admin/acls", { status: changed ? "deleted" : "absent" });
      },
      { body: AclBody, response: { 400: ErrorBody, 403: ErrorBody }, detail: { tags, summary: "Remove an ACL binding (Kafka's DeleteAcls)" } },
    );
}
