import { Elysia } from "elysia";
import type { Broker } from "../broker/broker.ts";
import { CLUSTER_LIMITS } from "../config/cluster.ts";
import { jsonBodyParser } from "./body.ts";
import { withoutDataDir } from "./data-dir-paths.ts";
import type { RouteContext } from "./context.ts";
import { clusterRoutes } from "./cluster.ts";
import { clusterMetricsRoutes } from "./cluster-metrics.ts";
import { consoleRoutes } from "./console.ts";
import { consumeRoutes } from "./consume.ts";
import { errorAnswer, routeMethods } from "./errors.ts";
import { groupRoutes } from "./groups.ts";
import { healthRoutes } from "./health.ts";
import { internalRoutes } from "./internal.ts";
import type { AccessControl } from "../auth/access-control.ts";
import { adminRoutes } from "./admin.ts";
import { clientAuthRoutes } from "./client-auth.ts";
import { metadataRoutes } from "./metadata.ts";
import { metricsRoutes } from "./metrics.ts";
import { openApiRoutes } from "./openapi.ts";
import type { PeerEndpoint } from "./peer-endpoint.ts";
import { produceRoutes } from "./produce.ts";
import { recordRoutes } from "./records.ts";
import { RequestCounter } from "./respond.ts";
import { schemaRoutes } from "./schemas.ts";
import { metadataBarrier } from "./metadata-barrier.ts";
import { topicConfigRoutes } from "./topic-config.ts";
import { adminPartitionRoutes } from "./admin-partitions.ts";
import { topicPartitionRoutes } from "./topic-partitions.ts";
import { topicRoutes } from "./topics.ts";
import { routableUrl } from "./short-host.ts";
import { crossOriginProblem, isSafeMethod } from "./cross-origin.ts";
import { browserRefusal } from "./browser-guard.ts";

export interface HttpOptions {
  /** Largest request body; default: the broker's maxBodyBytes. */
  maxBodyBytes?: number;
  /** Where unexpected (5xx) errors are reported. */
  logError?: (message: string) => void;
  /** The cluster's answers to other brokers: serves /internal/ (else every internal call is 401) and /cluster. */
  cluster?: PeerEndpoint;
  /** Who a client is and what it may do; without one (or in mode none) every client may do everything. */
  access?: AccessControl;
}

/**
 * The Elysia adapter over a broker. Use `app.handle(new Request(...))` in process, or
 * `listen` (server.ts) for a socket.
 */
export function createApp(broker: Broker, options: HttpOptions = {}) {
  const limit = options.maxBodyBytes ?? broker.config.maxBodyBytes;
  const logError = options.logError ?? ((m: string) => console.error(m));
  const context: RouteContext = { broker, requests: new RequestCounter(broker.metrics) };
  // Built from the routes once they are all added (below), on the first wrong method.
  let allowed: ((path: string) => string[]) | undefined;
  // Set once the app is built: a request it must route again goes through all of it.
  let route: (request: Request) => Promise<Response> = () => Promise.reject(new Error("the app is not built yet"));
  const app = new Elysia({ normalize: false })
    // Before routing: a URL the router would misread goes round again (short-host.ts).
    .onRequest(({ request }): Response | Promise<Response> | undefined => {
      // A browser's cross-origin request that may change something, before any body is
      // read (cross-origin.ts); the socket's door checks it too (browser-guard.ts), this
      // covers the app wherever it is served from (the workers' private socket, in process).
      if (!isSafeMethod(request.method)) {
        const refused = crossOriginProblem(request.method, request.url, request.headers);
        if (refused !== undefined) return browserRefusal(refused);
      }
      const url = routableUrl(request.url);
      return url === undefined ? undefined : route(new Request(url, request));
    })
    .onParse(jsonBodyParser(limit, limit + CLUSTER_LIMITS.forwardedCallOverheadBytes.value))
    .onError(({ error, code, request, route }) => {
      // With a base: a request with no usable Host has a URL of its path alone (short-host.ts).
      const url = new URL(request.url, "http://streamnest.invalid");
      const answer = errorAnswer(error, code, request.method, url.pathname, (path) => (allowed ??= routeMethods(app.routes))(path));
      // A client that went away (e.g. a consumer aborting its long poll on a rebalance)
      // leaves nobody to answer; that is not a broker fault worth a stack trace. Nor is
      // a 503/504 (a leader down): the broker logs that once, not once per request.
      if (answer.status === 500 && !request.signal.aborted)
        logError(`${request.method} ${url.pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      context.requests.count(request.method, typeof route === "string" && route !== "" ? route : "unmatched", answer.status);
      if (typeof answer.body.message === "string") answer.body.message = withoutDataDir(answer.body.message, broker.config.dataDir);
      return Response.json(answer.body, { status: answer.status, headers: answer.allow === undefined ? undefined : { allow: answer.allow } });
    })
    // Authentication and authorization first: a caller refused never makes this broker wait for the quorum.
    .use(clientAuthRoutes(context, options.access))
    .use(metadataBarrier(broker))
    .use(openApiRoutes())
    .use(consoleRoutes())
    .use(topicRoutes(context))
    .use(topicConfigRoutes(context))
    .use(topicPartitionRoutes(context))
    .use(adminPartitionRoutes(context))
    .use(metadataRoutes(context))
    .use(schemaRoutes(context))
    .use(produceRoutes(context))
    .use(consumeRoutes(context))
    .use(recordRoutes(context))
    .use(groupRoutes(context))
    .use(healthRoutes(context))
    .use(metricsRoutes(context))
    .use(adminRoutes(context))
    .use(clusterRoutes(context, options.cluster))
    .use(clusterMetricsRoutes(context, options.cluster))
    .use(internalRoutes(context, options.cluster, { maxBodyBytes: limit + CLUSTER_LIMITS.forwardedCallOverheadBytes.value, logError }));
  route = (request) => app.handle(request);
  return app;
}

export type StreamNestApp = ReturnType<typeof createApp>;
