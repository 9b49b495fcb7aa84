import { Elysia, t } from "elysia";
import { isInternalTopic, OFFSETS_TOPIC } from "../broker/topic-catalog.ts";
import { type Acks, isProduceFailure } from "../broker/types.ts";
import { StreamNestError } from "../lib/errors.ts";
import type { RouteContext } from "./context.ts";
import { toProduceBatch, toProduceRecord } from "./produce-records.ts";
import { ErrorBody, MAX_BATCH_MESSAGES, ProduceAck, ProduceBatchAnswer, ProduceBody } from "./models.ts";
import { json, jsonText } from "./respond.ts";
import { failuresWithoutDataDir } from "./data-dir-paths.ts";

/** POST /produce: one message (the seed's shape) or a batch in `messages`. */
export function produceRoutes({ broker, requests }: RouteContext) {
  /** An invalid or missing topic, or a partition it does not have: refused as the acked produce refuses them. */
  const refuseUnwritable = (topic: string, partition: number | undefined): void => {
    broker.assertTopic(topic);
    if (partition !== undefined) broker.assertPartition(topic, partition);
  };
  return new Elysia().post(
    "/produce",
    async ({ body }) => {
      if (isInternalTopic(body.topic)) {
        broker.assertTopic(body.topic);
        refuseInternal();
      }
      const acks = acksOf(body.acks);
      if (body.messages === undefined) {
        if (body.message === undefined && body.message_base64 === undefined)
          throw new StreamNestError("INVALID_REQUEST", "message is required (a string), or message_base64 (bytes in base64), or messages (an array) for a batch");
        const record = toProduceRecord({
          message: body.message,
          message_base64: body.message_base64,
          key: body.key,
          key_base64: body.key_base64,
          partition: body.partition,
          headers: body.headers,
        });
        if (acks !== undefined) record.acks = acks;
        if (acks === "0") {
          // Kafka's acks=0: nobody waits for the leader, so no offset and no error of the
          // write comes back; what is wrong with the request itself still does.
          refuseUnwritable(body.topic, record.partition);
          void broker.produce(body.topic, record).catch(() => undefined);
          requests.count("POST", "/produce", 202);
          return json({ status: "accepted" }, 202);
        }
        const ack = await broker.produce(body.topic, record);
        requests.count("POST", "/produce", 200);
        return jsonText(`{"offset":${ack.offset},"partition":${ack.partition}}`);
      }
      const single = (["message", "message_base64", "key", "key_base64", "partition", "headers"] as const).filter((f) => body[f] !== undefined);
      if (single.length > 0)
        throw new StreamNestError(
          "INVALID_REQUEST",
          `a batch's messages carry their own message, key, partition and headers: ${single.join(", ")} beside messages would be ignored; put ${single.length === 1 ? "it" : "them"} in each message`,
        );
      if (body.messages.length === 0) throw new StreamNestError("INVALID_REQUEST", "messages must be a non-empty array");
      const batch = toProduceBatch(body.messages);
      if (acks !== undefined) for (const r of batch.records) r.acks = acks;
      if (acks === "0") {
        // A message of a batch fails on its own (its partition, its size), as in an acked
        // batch, which writes the others; only the topic is the whole request's.
        broker.assertTopic(body.topic);
        if (batch.records.length > 0) void broker.produceBatch(body.topic, batch.records).catch(() => undefined);
        requests.count("POST", "/produce", 202);
        return json({ status: "accepted" }, 202);
      }
      // Nothing to append: still refused as an append to a missing topic would be.
      if (batch.records.length === 0) broker.assertTopic(body.topic);
      const results = failuresWithoutDataDir(
        batch.merge(batch.records.length === 0 ? [] : await broker.produceBatch(body.topic, batch.records)),
        broker.config.dataDir,
      );
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
      response: { 200: t.Union([ProduceAck, ProduceBatchAnswer]), 202: t.Object({ status: t.String() }), 400: ErrorBody, 404: ErrorBody, 413: ErrorBody },
      detail: {
        tags: ["produce"],
        summary: "Produce one message or a batch",
        description:
          'One message: `{"topic","message","key"?,"partition"?,"headers"?}` answered with `{"offset","partition"}`; ' +
          "binary data as `message_base64` / `key_base64` (RFC 4648) instead of `message` / `key`. " +
          'A batch: `{"topic","messages":[{"message","key"?,"partition"?,"headers"?}]}` answered with `{"results":[…]}`, one ' +
          "`{partition, offset}` or `{error, message}` per message in order (200 when at least one was written); at most 100,000 messages (else 413). " +
          "Partition: explicit, else murmur2 of the key (Kafka's default partitioner), else round-robin.",
      },
    },
  );
}

function acksOf(value: "all" | "1" | "0" | -1 | 1 | 0 | undefined): Acks | undefined {
  if (value === undefined) return undefined;
  return value === -1 || value === "all" ? "all" : value === 1 || value === "1" ? "1" : "0";
}

/** Clients never write to the internal topic; the broker asserts it too, in words of its own. */
function refuseInternal(): never {
  throw new StreamNestError(
    "INVALID_REQUEST",
    `${OFFSETS_TOPIC} is an internal topic written by the group coordinators only; commit offsets with POST /groups/:group/offsets`,
  );
}

/** Details of a produce whose outcome is unknown (cluster/partition-forwarder.ts, broker/produce-acks.ts). */
function outcomeUnknown(details: unknown): boolean {
  if (typeof details !== "object" || details === null) return false;
  const d = details as { timedOut?: unknown; interrupted?: unknown; unknownOutcome?: unknown };
  return d.timedOut === true || d.interrupted === true || d.unknownOutcome === true;
}
