import { Elysia, t } from "elysia";
import { isProduceFailure } from "../broker/types.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { RouteContext } from "./context.ts";
import { ErrorBody, MAX_BATCH_MESSAGES, ProduceAck, ProduceBatchAnswer, ProduceBody } from "./models.ts";
import { json, jsonText } from "./respond.ts";

/** POST /produce: one message (the seed's shape) or a batch in `messages`. */
export function produceRoutes({ broker, requests }: RouteContext) {
  return new Elysia().post(
    "/produce",
    async ({ body }) => {
      if (body.messages === undefined) {
        if (body.message === undefined)
          throw new StreamNestError("INVALID_REQUEST", "message is required (a string), or messages (an array) for a batch");
        const ack = await broker.produce(body.topic, {
          message: body.message,
          key: body.key,
          partition: body.partition,
          headers: body.headers,
        });
        requests.count("POST", "/produce", 200);
        return jsonText(`{"offset":${ack.offset},"partition":${ack.partition}}`);
      }
      if (body.message !== undefined)
        throw new StreamNestError("INVALID_REQUEST", "give either message or messages, not both");
      const results = await broker.produceBatch(body.topic, body.messages);
      const firstFailure = results.find(isProduceFailure);
      // A batch where nothing was written failed as a whole, and says so by its status.
      if (firstFailure && results.every(isProduceFailure)) {
        const status = new StreamNestError(firstFailure.error, firstFailure.message).status;
        requests.count("POST", "/produce", status);
        // A leader that timed out (or whose connection broke) may still write: claiming
        // nothing was written would be wrong, only that nothing was acknowledged.
        const unknown = results.some((r) => isProduceFailure(r) && outcomeUnknown(r.details));
        const lead = unknown ? "no message was acknowledged" : "no message was written";
        return json({ error: firstFailure.error, message: `${lead}: ${firstFailure.message}`, results }, status);
      }
      requests.count("POST", "/produce", 200);
      return json({ results });
    },
    {
      // Checked before validation, which would visit every item first: two million empty
      // messages (30 MB) once took a broker to 1.2 GB.
      transform({ body }) {
        const messages = (body as { messages?: unknown } | null)?.messages;
        if (Array.isArray(messages) && messages.length > MAX_BATCH_MESSAGES)
          throw new StreamNestError(
            "BODY_TOO_LARGE",
            `the batch has ${messages.length} messages; the limit is ${MAX_BATCH_MESSAGES} per request, split it`,
            { limit: MAX_BATCH_MESSAGES },
          );
      },
      body: ProduceBody,
      response: { 200: t.Union([ProduceAck, ProduceBatchAnswer]), 400: ErrorBody, 404: ErrorBody, 413: ErrorBody },
      detail: {
        tags: ["produce"],
        summary: "Produce one message or a batch",
        description:
          'One message: `{"topic","message","key"?,"partition"?,"headers"?}` answered with `{"offset","partition"}`. ' +
          'A batch: `{"topic","messages":[{"message","key"?,"partition"?,"headers"?}]}` answered with `{"results":[…]}`, one ' +
          "`{partition, offset}` or `{error, message}` per message in order (200 when at least one was written); at most 100,000 messages (else 413). " +
          "Partition: explicit, else murmur2 of the key (Kafka's default partitioner), else round-robin.",
      },
    },
  );
}

/** Details of a forwarded produce whose outcome is unknown (see cluster/forwarder.ts). */
function outcomeUnknown(details: unknown): boolean {
  if (typeof details !== "object" || details === null) return false;
  const d = details as { timedOut?: unknown; interrupted?: unknown };
  return d.timedOut === true || d.interrupted === true;
}
