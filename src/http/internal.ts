import { Elysia, t } from "elysia";
import { StreamNestError } from "../lib/errors.ts";
import {
  BROKER_AUTH_HEADER,
  BROKER_SIGNATURE_HEADER,
  FROM_HEADER,
  INTERNAL_ROUTES,
  isInternalPath,
  isStreamedAnswer,
  streamedBodyMark,
} from "../lib/internal-routes.ts";
import { jsonBodyParser } from "./body.ts";
import { readInternalBody } from "./internal-body.ts";
import type { RouteContext } from "./context.ts";
import { errorAnswer, routeMethods } from "./errors.ts";
import { internalGroupRoutes } from "./groups.ts";
import { internalReplicaRoutes } from "./replica-records.ts";
import type { PeerEndpoint } from "./peer-endpoint.ts";
import { json } from "./respond.ts";
import { BINARY_TYPE } from "./body.ts";
import { partsBody } from "./parts-body.ts";

/**
 * The broker-to-broker routes, all under /internal/. A guard runs on every request
 * before routing and body parsing: a request under /internal/ must carry a signature
 * (auth/broker-request-signature.ts) by a broker of this cluster, for this broker, fresh
 * and never seen before, over its method, path and body; else it is refused with 401
 * whatever its path, method or body, and nothing is read or changed. The guard then runs
 * the call on the internal routes and signs the answer, bound to the call's nonce, so the
 * caller can tell it from one made up by whoever holds the port. No secret crosses the
 * wire either way. Without a cluster link (an in-process broker) every internal request
 * is refused the same way.
 */

const doc = (summary: string) => ({
  tags: ["internal"],
  summary,
  description: `Broker to broker; needs a call signed by a broker of this cluster in the ${BROKER_AUTH_HEADER} header (else 401). Answers carry ${BROKER_SIGNATURE_HEADER}.`,
});

const CONTROL_IN_URL = /[\t\n\r]/;

export interface InternalLimits {
  /** Largest body of a call from another broker (the public limit plus the wrapping). */
  maxBodyBytes: number;
  logError: (message: string) => void;
}

/** Path and query exactly as sent (what the caller signed), from a request's absolute URL. */
function sentPath(url: string): string {
  const afterScheme = url.indexOf("//");
  const slash = url.indexOf("/", afterScheme < 0 ? 0 : afterScheme + 2);
  return slash < 0 ? "/" : url.slice(slash);
}

export function internalRoutes(context: RouteContext, link: PeerEndpoint | undefined, limits: InternalLimits) {
  const inner = link ? internalHandlers(context, link, limits) : undefined;
  const guard = new Elysia({ name: "streamnest-internal-guard" }).onRequest(async ({ request, server }) => {
    // This hook runs on every request, and parsing the URL was 4% of a produce. The
    // parser only removes or re-escapes text, never forms the word "internal" from a URL
    // without it, except by dropping a tab or newline: such URLs still take the full check.
    const url = request.url;
    if (!url.includes("internal") && !CONTROL_IN_URL.test(url)) return;
    const { pathname } = new URL(url);
    if (!isInternalPath(pathname)) return;
    try {
      if (!link || !inner)
        throw new StreamNestError("UNAUTHORIZED", "this broker runs without a cluster and accepts no internal calls");
      const authorization = request.headers.get(BROKER_AUTH_HEADER);
      // Refused before a byte of the body is read.
      if (authorization === null)
        throw new StreamNestError("UNAUTHORIZED", `internal routes need a call signed by a broker of this cluster (${BROKER_AUTH_HEADER})`);
      const body = await readInternalBody(request, limits.maxBodyBytes);
      const { sender, nonce } = link.authorize({ authorization, method: request.method, path: sentPath(url), body });
      // Long polls, group joins and tails may outlast the idle timeout; the caller bounds its own wait.
      server?.timeout(request, 0);
      // Replication's hot path: answered here, without a second request and routing.
      if (request.method === "POST" && pathname === INTERNAL_ROUTES.replicaFetch)
        return await replicaFetchAnswer(context, link, body, nonce, request.signal, limits.logError);
      const headers = new Headers(request.headers);
      headers.delete(BROKER_AUTH_HEADER);
      // Who called is what the signature proved, not what a header claimed.
      headers.set(FROM_HEADER, String(sender));
      const bodyless = request.method === "GET" || request.method === "HEAD";
      const answer = await inner.handle(new Request(url, { method: request.method, headers, body: bodyless ? undefined : body, signal: request.signal }));
      return await signed(answer, nonce, link);
    } catch (error) {
      if (error instanceof StreamNestError) {
        context.requests.count(request.method, "/internal/*", error.status);
        return Response.json(error.toJSON(), { status: error.status });
      }
      throw error;
    }
  });
  // Mounted for the OpenAPI page only: the guard answers every request under /internal/
  // before routing, so these copies are never reached except through it.
  return inner ? guard.use(inner) : guard;
}

/**
 * A follower's fetch (binary both ways, cluster/replication/fetch-wire.ts), run straight
 * from the guard once the call is verified: the same answer the route below gives, with
 * its signature over the bytes as they are, without building a second request for the
 * router or reading the answer back to sign it. Every acks=all produce waits on a round
 * of these, so each one's cost is paid in produce latency.
 */
async function replicaFetchAnswer(
  context: RouteContext,
  link: PeerEndpoint,
  body: Uint8Array,
  nonce: string,
  signal: AbortSignal,
  logError: (message: string) => void,
): Promise<Response> {
  const route = INTERNAL_ROUTES.replicaFetch;
  let status = 200;
  let answer: readonly Uint8Array[];
  let type = "application/octet-stream";
  try {
    answer = await link.replicaFetch(body, signal);
  } catch (error) {
    const refused = errorAnswer(error, undefined, "POST", route);
    if (refused.status === 500 && !signal.aborted)
      logError(`POST ${route}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    status = refused.status;
    answer = [new TextEncoder().encode(JSON.stringify(refused.body))];
    type = "application/json";
  }
  context.requests.count("POST", route, status);
  const headers = { "content-type": type, [BROKER_SIGNATURE_HEADER]: link.signAnswer(nonce, status, answer) };
  return new Response(partsBody(answer), { status, headers });
}

/** The answer with this broker's signature: over its body, or for a stream over its type. */
async function signed(answer: Response, nonce: string, link: PeerEndpoint): Promise<Response> {
  const headers = new Headers(answer.headers);
  const contentType = answer.headers.get("content-type");
  if (isStreamedAnswer(contentType)) {
    headers.set(BROKER_SIGNATURE_HEADER, link.signAnswer(nonce, answer.status, streamedBodyMark(contentType ?? "")));
    return new Response(answer.body, { status: answer.status, headers });
  }
  const body = new Uint8Array(await answer.arrayBuffer());
  headers.set(BROKER_SIGNATURE_HEADER, link.signAnswer(nonce, answer.status, body));
  const bodyless = answer.status === 204 || answer.status === 205 || answer.status === 304;
  return new Response(bodyless ? null : body, { status: answer.status, headers });
}

/** The internal routes proper, run by the guard on verified calls only (never mounted on the public app). */
function internalHandlers(context: RouteContext, link: PeerEndpoint, limits: InternalLimits) {
  const { requests } = context;
  const answer = (method: string, route: string, body: unknown): Response => {
    requests.count(method, route, 200);
    return json(body);
  };
  let allowed: ((path: string) => string[]) | undefined;
  const app = new Elysia({ normalize: false })
    .onParse(jsonBodyParser(limits.maxBodyBytes))
    .onError(({ error, code, request, route }) => {
      const path = new URL(request.url).pathname;
      const result = errorAnswer(error, code, request.method, path, (p) => (allowed ??= routeMethods(app.routes))(p));
      if (result.status === 500 && !request.signal.aborted)
        limits.logError(`${request.method} ${path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      requests.count(request.method, typeof route === "string" && route !== "" ? route : "/internal/*", result.status);
      return Response.json(result.body, { status: result.status, headers: result.allow === undefined ? undefined : { allow: result.allow } });
    });
  const routes = app
    .use(internalGroupRoutes(context))
    .use(internalReplicaRoutes(context))
    .post(INTERNAL_ROUTES.heartbeat, ({ body, request }) => answer("POST", INTERNAL_ROUTES.heartbeat, link.heartbeat(body, callerId(request.headers))), {
      body: t.Unknown(),
      detail: doc("Heartbeat: who I am, my metadata version, whom I know"),
    })
    .post(INTERNAL_ROUTES.quorum, ({ body, request }) => answer("POST", INTERNAL_ROUTES.quorum, link.quorumMessages(body, callerId(request.headers))), {
      body: t.Unknown(),
      detail: doc("Metadata quorum messages (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot; KIP-595)"),
    })
    .post(INTERNAL_ROUTES.quorumPropose, async ({ body, request }) => answer("POST", INTERNAL_ROUTES.quorumPropose, await link.quorumPropose(body, callerId(request.headers))), {
      body: t.Unknown(),
      detail: doc("Commit a metadata change as the quorum leader; answered after commit"),
    })
    .post(INTERNAL_ROUTES.quorumHeartbeat, ({ body, request }) => answer("POST", INTERNAL_ROUTES.quorumHeartbeat, link.quorumHeartbeat(body, callerId(request.headers))), {
      body: t.Unknown(),
      detail: doc("A broker's heartbeat to the metadata quorum leader (registration, fencing)"),
    })
    .post(INTERNAL_ROUTES.quorumApplied, async ({ body }) => answer("POST", INTERNAL_ROUTES.quorumApplied, await link.quorumApplied(body)), {
      body: t.Unknown(),
      detail: doc("Answered once this broker applied the given metadata version (or after a short wait)"),
    })
    .get(INTERNAL_ROUTES.quorumVoters, () => answer("GET", INTERNAL_ROUTES.quorumVoters, link.quorumVoters()), {
      detail: doc("The metadata quorum voters this broker recorded at formation, with their directory ids, and this broker's own id and directory id"),
    })
    .post(
      INTERNAL_ROUTES.produce,
      async ({ body, request }) => answer("POST", INTERNAL_ROUTES.produce, await link.produce(body, callerId(request.headers))),
      { body: t.Unknown(), detail: doc("Produce to a partition this broker leads (forwarded)") },
    )
    .post(
      INTERNAL_ROUTES.fetch,
      async ({ body, request, server }) => {
        // A long poll may outlast the server's idle timeout.
        server?.timeout(request, 0);
        return answer("POST", INTERNAL_ROUTES.fetch, await link.fetch(body, callerId(request.headers), request.signal));
      },
      { body: t.Unknown(), detail: doc("Read a partition this broker leads (forwarded)") },
    )
    .post(
      INTERNAL_ROUTES.replicaFetch,
      async ({ body, request, server }) => {
        // A fetch waits at the leader for new records (bounded by the follower's wait).
        server?.timeout(request, 0);
        if (!(body instanceof Uint8Array))
          throw new StreamNestError("INVALID_REQUEST", `a replica fetch is sent as ${BINARY_TYPE}`);
        const answer = await link.replicaFetch(body, request.signal);
        requests.count("POST", INTERNAL_ROUTES.replicaFetch, 200);
        return new Response(partsBody(answer), { headers: { "content-type": "application/octet-stream" } });
      },
      { body: t.Unknown(), detail: doc("A follower's fetch from a partition this broker leads (binary framing)") },
    )
    .get(
      INTERNAL_ROUTES.offsets,
      ({ query }) => answer("GET", INTERNAL_ROUTES.offsets, link.offsets(query.topic)),
      {
        query: t.Object({ topic: t.String() }),
        detail: doc("Start and end offsets and sizes of the partitions of a topic this broker leads (to describe the topic)"),
      },
    )
    .get(INTERNAL_ROUTES.allOffsets, () => answer("GET", INTERNAL_ROUTES.allOffsets, link.allOffsets()), {
      detail: doc("Start and end offsets and sizes of every partition this broker leads, by topic (to summarize all topics)"),
    })
    .get(INTERNAL_ROUTES.stats, () => answer("GET", INTERNAL_ROUTES.stats, link.stats()), {
      detail: doc("This broker's message counters and disk use (for cluster-wide rates)"),
    })
    .get(
      INTERNAL_ROUTES.tail,
      async ({ query, request, server }) => {
        server?.timeout(request, 0);
        const stream = await link.tail(query, callerId(request.headers), request.signal);
        requests.count("GET", INTERNAL_ROUTES.tail, 200);
        return new Response(stream, { headers: { "content-type": "application/x-ndjson", "cache-control": "no-cache" } });
      },
      {
        query: t.Object({ topic: t.String(), partition: t.String(), offset: t.Optional(t.String()) }),
        detail: doc("Live tail of a partition this broker leads, as newline-delimited JSON (forwarded)"),
      },
    );
  return routes;
}

/** The id of the broker that sent an internal call, if it said. */
function callerId(headers: Headers): number | null {
  const from = Number(headers.get(FROM_HEADER) ?? Number.NaN);
  return Number.isSafeInteger(from) ? from : null;
}
