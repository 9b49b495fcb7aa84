import { Elysia } from "elysia";
import type { AccessControl } from "../auth/access-control.ts";
import { ANONYMOUS, type Principal } from "../auth/principal.ts";
import { StreamNestError } from "../lib/errors.ts";
import { isInternalPath } from "../lib/internal-routes.ts";
import { CONSOLE_PATH } from "./console.ts";
import type { RouteContext } from "./context.ts";
import { OPENAPI_PAGE_PATH } from "./openapi.ts";
import { type RouteInput, routeNeeds } from "./route-permissions.ts";

/**
 * Client authentication and authorization of every route. Authentication runs before
 * routing and body parsing: a request without a valid token is refused with 401 (and
 * `WWW-Authenticate: Bearer`, RFC 6750) before anything is read or changed. Authorization
 * runs once the route is known and its input validated, before the handler: a call the
 * principal lacks a permission for is refused with 403 FORBIDDEN naming that permission
 * (route-permissions.ts), so nothing changes. Open to all: /health (liveness, and the
 * broker id peers ask before signing), the OpenAPI page, the console's static page (its
 * calls carry the token), and /internal/ (brokers sign their calls).
 */
export function isPublicPath(pathname: string): boolean {
  return (
    pathname === "/health" ||
    pathname === OPENAPI_PAGE_PATH ||
    pathname.startsWith(`${OPENAPI_PAGE_PATH}/`) ||
    pathname === CONSOLE_PATH ||
    pathname.startsWith(`${CONSOLE_PATH}/`) ||
    isInternalPath(pathname)
  );
}

/**
 * Whether a request's URL is on a public path. Open only when both the path as sent (what
 * the router dispatches on) and the parsed URL's path (dot segments resolved) are public,
 * so a path written to look public to one and not the other is authenticated. The usual
 * request, to a path that is not public, is told so without parsing its URL.
 */
export function isPublicRequest(url: string): boolean {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return false;
  const query = url.indexOf("?", start);
  const sent = url.slice(start, query === -1 ? undefined : query);
  return isPublicPath(sent) && isPublicPath(new URL(url).pathname);
}

/** The challenge of a 401 (RFC 6750 §3). */
export const BEARER_CHALLENGE = 'Bearer realm="streamnest"';

/** Who made a request, and the filters of answers that list resources (RouteContext.access). */
export interface RequestAccess {
  principalOf(request: Request): Principal;
  describableTopics(request: Request, names: readonly string[]): string[];
  describableGroups(request: Request, names: readonly string[]): string[];
  /**
   * Checks a request again as the guard checked it when it came (its token still valid,
   * the route's permissions still granted), throwing the 401 or 403 it would get now: for
   * an answer that goes on long after it was authorized (a live tail), as Kafka authorizes
   * every Fetch of a consumer rather than its first.
   */
  authorizeAgain(request: Request, method: string, route: string, input: RouteInput): void;
}

/**
 * A route's handler asks who called from the request alone: the token is read from it
 * again, which the verified-token cache makes a map lookup (no hash). The hooks below keep
 * the principal on the request's Elysia context instead, so the usual request (a produce)
 * authenticates once and leaves nothing behind in a table keyed by requests.
 */
export function requestAccess(access: AccessControl): RequestAccess {
  const principalOf = (request: Request): Principal =>
    access.enabled ? access.authenticate(request.headers.get("authorization")) : ANONYMOUS;
  return {
    principalOf,
    describableTopics: (request, names) => access.describableTopics(principalOf(request), names),
    describableGroups: (request, names) => access.describableGroups(principalOf(request), names),
    authorizeAgain(request, method, route, input) {
      if (!access.enabled) return;
      const principal = principalOf(request);
      const needs = routeNeeds(method, route, input);
      if (needs === "filtered") return;
      for (const need of needs) access.check(principal, need.operation, ...need.resources);
    },
  };
}

/** Where onRequest leaves the principal for onBeforeHandle: the same context object goes to both. */
const PRINCIPAL = Symbol("streamnest.principal");
type Guarded = { [PRINCIPAL]?: Principal };

export function clientAuthRoutes(context: RouteContext, access: AccessControl | undefined) {
  const guard = new Elysia({ name: "streamnest-client-auth" });
  if (access === undefined || !access.enabled) return guard;
  const requests = requestAccess(access);
  context.access = requests;
  /** The request's principal, or the 401 of a request without a valid token; undefined on a public path. */
  const authenticate = (request: Request): Principal | Response | undefined => {
    if (isPublicRequest(request.url)) return undefined;
    try {
      return access.authenticate(request.headers.get("authorization"));
    } catch (error) {
      if (!(error instanceof StreamNestError)) throw error;
      context.requests.count(request.method, "unauthenticated", error.status);
      return Response.json(error.toJSON(), { status: error.status, headers: { "www-authenticate": BEARER_CHALLENGE } });
    }
  };
  // Elysia composes each request's path from its hooks' source text. A hook that returns a
  // call's result is taken for asynchronous, and awaited: a turn of the microtask queue per
  // request for nothing. One that hands its whole context to a function is taken to need
  // all of it, and every route would then copy the headers and parse cookies first. So
  // this hook returns a variable and passes on the request alone (client-auth.test.ts
  // checks that the guard adds neither).
  return guard
    .onRequest(function authenticateRequest(ctx) {
      const outcome = authenticate(ctx.request);
      if (outcome instanceof Response) return outcome;
      (ctx as Guarded)[PRINCIPAL] = outcome;
      return undefined;
    })
    .onBeforeHandle({ as: "global" }, (ctx) => {
      const { request, route, body, params, query } = ctx;
      // A request authenticated in onRequest is not on a public path: its URL need not be parsed again.
      const known = (ctx as Guarded)[PRINCIPAL];
      if (known === undefined && isPublicRequest(request.url)) return undefined;
      const input: RouteInput = {
        body,
        params: (params ?? {}) as Record<string, string | undefined>,
        query: (query ?? {}) as Record<string, unknown>,
      };
      const needs = routeNeeds(request.method, typeof route === "string" ? route : "", input);
      if (needs === "filtered") return undefined;
      const principal = known ?? requests.principalOf(request);
      for (const need of needs) access.check(principal, need.operation, ...need.resources);
      return undefined;
    });
}
