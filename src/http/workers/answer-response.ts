import type { Answer } from "./worker-messages.ts";

/**
 * The HTTP answer to a fast-path call (owner-calls.ts), as the owner's routes send it:
 * jsonText (respond.ts) for a 200, Response.json's content type for an error, the
 * guard's challenge on a 401 (client-auth.ts). Used by the worker threads and by the
 * owner's own fast path (fast-path.ts), so that which door took a request changes
 * nothing in its answer.
 */
const JSON_HEADERS = new Headers({ "content-type": "application/json" });
/** One init for every 200: an object literal per answer was one allocation more per request. */
const JSON_INIT: ResponseInit = { headers: JSON_HEADERS };
const ERROR_TYPE = "application/json;charset=utf-8";
const ERROR_HEADERS = new Headers({ "content-type": ERROR_TYPE });

export function answerResponse(answer: Answer): Response {
  if (answer.s === 204) return new Response(null, { status: 204 });
  if (answer.w !== undefined) return new Response(answer.b, { status: answer.s, headers: { "content-type": ERROR_TYPE, "www-authenticate": answer.w } });
  if (answer.s !== 200) return new Response(answer.b, { status: answer.s, headers: ERROR_HEADERS });
  if (answer.m !== undefined) return new Response(`{"offset":${answer.o},"message":${JSON.stringify(answer.m)}}`, JSON_INIT);
  return new Response(`{"offset":${answer.o},"partition":${answer.p}}`, JSON_INIT);
}

/** A 500 of the fast path's own making, worded as the app's error mapping words one. */
export function internalErrorResponse(): Response {
  return new Response(JSON.stringify({ error: "INTERNAL_ERROR", message: "internal error; see the broker's log" }), { status: 500, headers: ERROR_HEADERS });
}
