import { Elysia, t } from "elysia";
import { CORE_LIMITS } from "../config/core.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { RouteContext } from "./context.ts";
import { ErrorBody, integerField, parsedIntegerField, RecordsAnswer } from "./models.ts";
import { recordsJsonBytes } from "./record-json.ts";
import { jsonBytes } from "./respond.ts";
import { sseStream } from "./sse.ts";
import { quote, strictFields } from "./strict-fields.ts";

const PartitionParams = t.Object({
  topic: t.String(),
  partition: integerField("partition"),
});

const STREAM_ROUTE = "/topics/:topic/partitions/:partition/records/stream";
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" } as const;

/**
 * Reads of one partition: batches with long polling, and a live tail as server-sent
 * events, resource style like Redpanda's HTTP proxy.
 */
export function recordRoutes({ broker, requests, access }: RouteContext) {
  return new Elysia()
    .get(
      "/topics/:topic/partitions/:partition/records",
      async ({ params, query, request, server }) => {
        const method = request.method === "HEAD" ? "HEAD" : "GET";
        if (query.timeout_ms !== undefined && query.timeout_ms > 0) server?.timeout(request, 0);
        const result = await broker.fetch({
          topic: params.topic,
          partition: params.partition,
          offset: query.offset,
          maxRecords: query.max,
          maxBytes: query.max_bytes,
          timeoutMs: query.timeout_ms,
          signal: request.signal,
          peek: method === "HEAD",
        });
        // Authorized when it came, a long poll is authorized again before it answers (see /consume).
        if (access !== undefined && query.timeout_ms !== undefined && query.timeout_ms > 0)
          access.authorizeAgain(request, "GET", "/topics/:topic/partitions/:partition/records", {
            body: undefined,
            params: { topic: params.topic, partition: String(params.partition) },
            query: {},
          });
        requests.count(method, "/topics/:topic/partitions/:partition/records", 200);
        return jsonBytes(
          recordsJsonBytes(
            `{"topic":${JSON.stringify(params.topic)},"partition":${params.partition},"records":`,
            result.records,
            `,"next_offset":${result.nextOffset},"start_offset":${result.startOffset},"end_offset":${result.endOffset}}`,
          ),
        );
      },
      {
        transform: strictFields({
          topicParam: "topic",
          params: { partition: {} },
          query: {
            offset: { minimum: 0, code: "INVALID_OFFSET" },
            max: { minimum: 1, maximum: CORE_LIMITS.fetchMaxRecords.value },
            max_bytes: { minimum: 1, maximum: CORE_LIMITS.fetchMaxBytes.value },
            timeout_ms: { minimum: 0, maximum: CORE_LIMITS.fetchTimeoutMs.value },
          },
        }),
        params: PartitionParams,
        query: t.Object(
          {
            offset: parsedIntegerField("offset", { description: "First offset to read (0 or more)" }),
            max: t.Optional(parsedIntegerField("max", { minimum: 1, maximum: CORE_LIMITS.fetchMaxRecords.value, description: `Most records (default ${CORE_LIMITS.fetchMaxRecordsDefault.value})` })),
            max_bytes: t.Optional(
              parsedIntegerField("max_bytes", { minimum: 1, maximum: CORE_LIMITS.fetchMaxBytes.value, description: "About this many bytes at most (default 1 MiB); at least one record" }),
            ),
            timeout_ms: t.Optional(
              parsedIntegerField("timeout_ms", { minimum: 0, maximum: CORE_LIMITS.fetchTimeoutMs.value, description: "Wait this long for records when there are none (default 0)" }),
            ),
          },
          { additionalProperties: true },
        ),
        response: { 200: RecordsAnswer, 400: ErrorBody, 404: ErrorBody },
        detail: {
          tags: ["consume"],
          summary: "Read records from an offset, with long polling",
          description:
            "An offset below the start or beyond the end is 400 OFFSET_OUT_OF_RANGE; at the end, the answer waits up to `timeout_ms` for an append. " +
            "HEAD answers with GET's status and headers and counts nothing as consumed.",
        },
      },
    )
    .get(
      "/topics/:topic/partitions/:partition/records/stream",
      async ({ params, query, request, headers, server }) => {
        // Last-Event-ID first: a browser's EventSource reconnects to the same URL, ?offset
        // included, and sends the id of the last event it got; ?offset winning made every
        // reconnect replay the stream from its first offset.
        const offset = resumeOffset(headers["last-event-id"]) ?? query.offset;
        if (request.method === "HEAD") {
          // Checked as a GET is (topic, partition, offset in range) without opening a tail,
          // which would read records out (on the leader, for a forwarded one), nor a
          // stream: Elysia measures a HEAD's answer by reading its body to the end.
          if (offset === undefined) broker.assertPartition(params.topic, params.partition);
          else await broker.fetch({ topic: params.topic, partition: params.partition, offset, maxRecords: 1, maxBytes: 1, peek: true });
          requests.count("HEAD", "/topics/:topic/partitions/:partition/records/stream", 200);
          return new Response(null, { headers: SSE_HEADERS });
        }
        const controller = new AbortController();
        const tail = await broker.tail({ topic: params.topic, partition: params.partition, offset, signal: controller.signal });
        server?.timeout(request, 0);
        const onAbort = (): void => controller.abort();
        request.signal.addEventListener("abort", onAbort, { once: true });
        // Authorized when it opened, a tail is authorized again before each batch it sends:
        // a token revoked or expired, or a READ taken away, ends it (SECURITY.md: refused
        // from the next call on), where it would otherwise read on for as long as it is open.
        const input = { body: undefined, params: { topic: params.topic, partition: String(params.partition) }, query: {} };
        const authorized = access === undefined ? undefined : () => access.authorizeAgain(request, "GET", STREAM_ROUTE, input);
        const body = sseStream(
          tail,
          controller,
          () => request.signal.removeEventListener("abort", onAbort),
          undefined,
          broker.config.sse,
          authorized,
        );
        requests.count("GET", "/topics/:topic/partitions/:partition/records/stream", 200);
        return new Response(body, { headers: SSE_HEADERS });
      },
      {
        transform: strictFields({
          topicParam: "topic",
          params: { partition: {} },
          query: { offset: { minimum: 0, code: "INVALID_OFFSET" } },
        }),
        params: PartitionParams,
        query: t.Object(
          { offset: t.Optional(parsedIntegerField("offset", { description: "First offset to send; default: only new records" })) },
          { additionalProperties: true },
        ),
        response: {
          200: t.String({
            contentMediaType: "text/event-stream",
            description: "`record` events with the record as JSON data and its offset as id",
          }),
          400: ErrorBody,
          404: ErrorBody,
        },
        detail: {
          tags: ["consume"],
          summary: "Live tail of a partition (server-sent events)",
          description: "Every record from `offset` (or after Last-Event-ID), then each new one as it is appended, until the client disconnects.",
        },
      },
    );
}

function resumeOffset(lastEventId: string | undefined): number | undefined {
  if (lastEventId === undefined) return undefined;
  // Plain digits only, as for ?offset: Number() would read "0x10" as 16.
  const last = /^[0-9]+$/.test(lastEventId) ? Number(lastEventId) : Number.NaN;
  if (!Number.isSafeInteger(last))
    throw new StreamNestError("INVALID_OFFSET", `Last-Event-ID must be a record offset, got ${quote(lastEventId)}`);
  return last + 1;
}
