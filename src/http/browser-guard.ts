import { StreamNestError } from "../lib/errors.ts";
import { crossOriginProblem, isSafeMethod } from "./cross-origin.ts";
import { hostCheck } from "./host-check.ts";
import type { Server } from "bun";
import type { ServeFetch, SocketFetch } from "./fast-path.ts";
import { withAbsoluteUrl } from "./short-host.ts";

/**
 * The refusals of requests a browser was made to send (cross-origin.ts, host-check.ts),
 * in front of everything that answers a socket of the broker: the fast path, the app,
 * the early listener. They come before anything reads a body or touches a log. A GET
 * (the hot /consume) is looked at through its URL string only, so that Bun does not
 * build its Headers; a POST's Headers are built anyway (its Content-Length is read). A
 * request with no usable Host goes on with an absolute URL (short-host.ts).
 */
export function guardedFetch<F extends ServeFetch | SocketFetch>(
  fetch: F,
  bindHost: string,
  names: readonly string[],
  boundAddress?: () => string | undefined,
  namesBeyondLoopback = false,
): F {
  const hostProblem = hostCheck(bindHost, names, boundAddress, namesBeyondLoopback);
  return ((request: Request, server: Server<unknown>) => {
    const problem = hostProblem?.(request.url) ?? (isSafeMethod(request.method) ? undefined : crossOriginProblem(request.method, request.url, request.headers));
    return problem === undefined ? fetch(withAbsoluteUrl(request), server) : browserRefusal(problem);
  }) as F;
}

/** 403 FORBIDDEN with the refusal's message, as the app's error mapping answers any refusal. */
export function browserRefusal(message: string): Response {
  const error = new StreamNestError("FORBIDDEN", message);
  return Response.json(error.toJSON(), { status: error.status });
}
