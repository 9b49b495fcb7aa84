import { Elysia, t } from "elysia";
import type { Broker } from "../broker/broker.ts";
import type { FetchQuery, FetchResult } from "../broker/types.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { RouteContext } from "./context.ts";
import { ErrorBody, parsedIntegerField, RecordBody } from "./models.ts";
import { messageText, recordsJson } from "./record-json.ts";
import { jsonText } from "./respond.ts";
import { strictFields } from "./strict-fields.ts";
import { CORE_LIMITS } from "../config/core.ts";

/**
 * The seed's GET /consume: one message at an offset, 204 when there is none (yet).
 * `max` asks for several (the first stays at the top level, all are in `messages`);
 * `wait_ms` long-polls for the offset to be written. A HEAD, which Elysia and Bun hand
 * to this handler and answer without the body, counts nothing as consumed: it reads
 * nothing out.
 */
export function consumeRoutes({ broker, requests, access }: RouteContext) {
  return new Elysia().get(
    "/consume",
    async ({ query, request, server }) => {
      const method = request.method === "HEAD" ? "HEAD" : "GET";
      if (query.wait_ms !== undefined && query.wait_ms > 0) server?.timeout(request, 0);
      const result = await readOrPastEnd(broker, {
        topic: query.topic,
        partition: query.partition,
        offset: query.offset,
        maxRecords: query.max ?? 1,
        timeoutMs: query.wait_ms ?? 0,
        signal: request.signal,
        peek: method === "HEAD",
      });
      // A long poll was authorized when it came, up to 300 s ago: a token revoked or a
      // READ taken away meanwhile gets the refusal, not the records (as a live tail).
      if (access !== undefined && query.wait_ms !== undefined && query.wait_ms > 0)
        access.authorizeAgain(request, "GET", "/consume", { body: undefined, params: {}, query: { topic: query.topic } });
      const records = result?.records ?? [];
      if (result === undefined || records.length === 0) {
        requests.count(method, "/consume", 204);
        return new Response(null, { status: 204 });
      }
      requests.count(method, "/consume", 200);
      const first = `{"offset":${records[0].offset},"message":${JSON.stringify(messageText(records[0]))}`;
      if (query.max === undefined) return jsonText(`${first}}`);
      return jsonText(`${first},"messages":${recordsJson(records)},"next_offset":${result.nextOffset}}`);
    },
    {
      transform: strictFields({
        query: {
          partition: {},
          offset: { minimum: 0, code: "INVALID_OFFSET" },
          max: { minimum: 1, maximum: CORE_LIMITS.fetchMaxRecords.value },
          wait_ms: { minimum: 0, maximum: CORE_LIMITS.fetchTimeoutMs.value },
        },
        once: ["topic"],
      }),
      query: t.Object(
        {
          topic: t.String({ error: "topic must be a string" }),
          // Read by strictFields above; only checked here.
          partition: parsedIntegerField("partition"),
          offset: parsedIntegerField("offset", { description: "0 or more" }),
          max: t.Optional(parsedIntegerField("max", { minimum: 1, maximum: CORE_LIMITS.fetchMaxRecords.value })),
          wait_ms: t.Optional(parsedIntegerField("wait_ms", { minimum: 0, maximum: CORE_LIMITS.fetchTimeoutMs.value })),
        },
        { additionalProperties: true },
      ),
      response: {
        200: t.Object({
          offset: t.Integer(),
          message: t.Union([t.String(), t.Null()], { description: "null: a tombstone (no value)" }),
          messages: t.Optional(t.Array(RecordBody)),
          next_offset: t.Optional(t.Integer()),
        }),
        204: t.Void({ description: "No message at that offset (yet)" }),
        400: ErrorBody,
        404: ErrorBody,
      },
      detail: {
        tags: ["consume"],
        summary: "Read one message (or `max`) at an offset; 204 past the end",
        description: "HEAD answers with GET's status and headers and counts nothing as consumed.",
      },
    },
  );
}

/**
 * The seed's reading of an offset past the end: no message (yet), not an error. With a
 * wait, the answer waits until the log reaches the offset (each append wakes a look at
 * the end that delivers nothing), then reads there for what is left of the wait.
 * Undefined: past the end until the wait ran out (or the client left).
 */
export async function readOrPastEnd(broker: Broker, request: FetchQuery & { timeoutMs: number }): Promise<FetchResult | undefined> {
  let end: number;
  try {
    return await broker.fetch(request);
  } catch (error) {
    end = pastEndOf(error, request.offset);
  }
  const deadline = performance.now() + request.timeoutMs;
  for (;;) {
    const left = Math.ceil(deadline - performance.now());
    if (left <= 0 || request.signal?.aborted) return undefined;
    if (end >= request.offset) return broker.fetch({ ...request, timeoutMs: left });
    const look = await broker.fetch({ ...request, offset: end, maxRecords: 1, maxBytes: 1, timeoutMs: left, peek: true });
    end = look.endOffset;
  }
}

/** The partition's end when `error` says `offset` is past it; else rethrows it. */
export function pastEndOf(error: unknown, offset: number): number {
  const end = error instanceof StreamNestError && error.code === "OFFSET_OUT_OF_RANGE" ? (error.details as { endOffset?: unknown } | undefined)?.endOffset : undefined;
  if (typeof end === "number" && offset > end) return end;
  throw error;
}
