import { Elysia } from "elysia";
import type { ClientAuthenticator } from "../auth/client-authenticator.ts";
import { StreamNestError } from "../lib/errors.ts";
import { isInternalPath } from "../lib/internal-routes.ts";
import type { RouteContext } from "./context.ts";
import { OPENAPI_PAGE_PATH } from "./openapi.ts";

/**
 * Client authentication of every route before routing and body parsing: a request
 * without a valid token is refused with 401 (and `WWW-Authenticate: Bearer`, RFC 6750)
 * before anything is read or changed. Open to all: /health (liveness, and the broker id
 * peers ask before signing), the OpenAPI page, and /internal/ (brokers sign their calls).
 */
export function isPublicPath(pathname: string): boolean {
  return pathname === "/health" || pathname === OPENAPI_PAGE_PATH || pathname.startsWith(`${OPENAPI_PAGE_PATH}/`) || isInternalPath(pathname);
}

export function clientAuthRoutes(context: RouteContext, authenticator: ClientAuthenticator | undefined) {
  const guard = new Elysia({ name: "streamnest-client-auth" });
  if (authenticator === undefined || authenticator.mode === "none") return guard;
  return guard.onRequest(({ request }) => {
    const { pathname } = new URL(request.url);
    if (isPublicPath(pathname)) return;
    try {
      authenticator.authenticate(request.headers.get("authorization"));
    } catch (error) {
      if (!(error instanceof StreamNestError)) throw error;
      context.requests.count(request.method, "unauthenticated", error.status);
      return Response.json(error.toJSON(), { status: error.status, headers: { "www-authenticate": 'Bearer realm="streamnest"' } });
    }
  });
}
