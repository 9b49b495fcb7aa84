import { Elysia, t } from "elysia";
import { StreamNestError } from "../lib/errors.ts";
import { CLUSTER_SECRET_HEADER, FROM_HEADER, INTERNAL_ROUTES, isInternalPath } from "../lib/internal-routes.ts";
import type { RouteContext } from "./context.ts";
import { internalGroupRoutes } from "./groups.ts";
import { internalReplicaRoutes } from "./replica-records.ts";
import type { PeerEndpoint } from "./peer-endpoint.ts";
import { json } from "./respond.ts";
import { BINARY_TYPE } from "./body.ts";

/**
 * The broker-to-broker routes, all under /internal/. A guard runs on every request
 * before routing and body parsing, so a request under /internal/ without the cluster
 * secret (or with a wrong one) is refused with 401 whatever its path, method or body,
 * and nothing is read or changed. Without a cluster link (an in-process broker) every
 * internal request is refused the same way.
 */

const doc = (summary: string) => ({
  tags: ["internal"],
  summary,
  description: "Broker to broker; needs the cluster secret in the x-streamnest-cluster-secret header (else 401).",
});

const CONTROL_IN_URL = /[\t\n\r]/;

export function internalRoutes(context: RouteContext, link: PeerEndpoint | undefined) {
  const { requests } = context;
  const answer = (method: string, route: string, body: unknown): Response => {
    requests.count(method, route, 200);
    return json(body);
  };
  const guard = new Elysia({ name: "streamnest-internal-guard" }).onRequest(({ request }) => {
    // This hook runs on every request, and parsing the URL was 4% of a produce. The
    // parser only removes or re-escapes text, never forms the word "internal" from a URL
    // without it, except by dropping a tab or newline: such URLs still take the full check.
    const url = request.url;
    if (!url.includes("internal") && !CONTROL_IN_URL.test(url)) return;
    const { pathname } = new URL(url);
    if (!isInternalPath(pathname)) return;
    try {
      if (!link)
        throw new StreamNestError("UNAUTHORIZED", "this broker runs without a cluster and accepts no internal calls");
      link.authorize(request.headers.get(CLUSTER_SECRET_HEADER));
    } catch (error) {
      if (error instanceof StreamNestError) {
        requests.count(request.method, "/internal/*", error.status);
        return Response.json(error.toJSON(), { status: error.status });
      }
      throw error;
    }
  });
  if (!link) return guard;
  return guard
    .use(internalGroupRoutes(context, (headers) => link.authorize(headers.get(CLUSTER_SECRET_HEADER))))
    .use(internalReplicaRoutes(context, (headers) => link.authorize(headers.get(CLUSTER_SECRET_HEADER))))
    .post(INTERNAL_ROUTES.heartbeat, ({ body }) => answer("POST", INTERNAL_ROUTES.heartbeat, link.heartbeat(body)), {
      body: t.Unknown(),
      detail: doc("Heartbeat: who I am, my metadata version, whom I know"),
    })
    .post(INTERNAL_ROUTES.quorum, ({ body }) => answer("POST", INTERNAL_ROUTES.quorum, link.quorumMessages(body)), {
      body: t.Unknown(),
      detail: doc("Metadata quorum messages (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot; KIP-595)"),
    })
    .post(INTERNAL_ROUTES.quorumPropose, async ({ body }) => answer("POST", INTERNAL_ROUTES.quorumPropose, await link.quorumPropose(body)), {
      body: t.Unknown(),
      detail: doc("Commit a metadata change as the quorum leader; answered after commit"),
    })
    .post(INTERNAL_ROUTES.quorumHeartbeat, ({ body }) => answer("POST", INTERNAL_ROUTES.quorumHeartbeat, link.quorumHeartbeat(body)), {
      body: t.Unknown(),
      detail: doc("A broker's heartbeat to the metadata quorum leader (registration, fencing)"),
    })
    .post(INTERNAL_ROUTES.quorumApplied, async ({ body }) => answer("POST", INTERNAL_ROUTES.quorumApplied, await link.quorumApplied(body)), {
      body: t.Unknown(),
      detail: doc("Answered once this broker applied the given metadata version (or after a short wait)"),
    })
    .get(INTERNAL_ROUTES.quorumVoters, () => answer("GET", INTERNAL_ROUTES.quorumVoters, link.quorumVoters()), {
      detail: doc("The metadata quorum voters this broker recorded at formation"),
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
        return new Response(answer, { headers: { "content-type": "application/octet-stream" } });
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
}

/** The id of the broker that sent an internal call, if it said. */
function callerId(headers: Headers): number | null {
  const from = Number(headers.get(FROM_HEADER) ?? Number.NaN);
  return Number.isSafeInteger(from) ? from : null;
}
