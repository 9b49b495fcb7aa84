import { t } from "elysia";
import { HTTP_LIMITS } from "../config/http.ts";

/**
 * Request and answer schemas of every route. Elysia validates requests with them and
 * the OpenAPI page (/swagger) is generated from them. Numeric fields carry their own
 * error text: Elysia coerces numbers from strings and would otherwise report an
 * unhelpful "expected union value".
 */

export const ErrorBody = t.Object(
  {
    error: t.String({ description: "A StreamNest error code, e.g. TOPIC_NOT_FOUND" }),
    message: t.String(),
    details: t.Optional(t.Unknown({ description: "Facts a program can act on, when there are any (e.g. the `limit` a 413 passed)" })),
  },
  { description: "Every error answer" },
);

export const TopicName = t.String({
  description: "1 to 249 of [a-zA-Z0-9._-], not '.' or '..' (Kafka's rule)",
  error: "topic must be a string",
});

export const Status = t.Object({ status: t.String() });

export const Headers = t.Record(t.String(), t.String(), {
  description: "Header names to string values",
  error: "headers must be an object of string values",
});

export function integerField(
  name: string,
  options: { minimum?: number; maximum?: number; description?: string } = {},
): ReturnType<typeof t.Integer> {
  const range =
    options.minimum !== undefined && options.maximum !== undefined
      ? ` from ${options.minimum} to ${options.maximum}`
      : options.minimum !== undefined
        ? ` of at least ${options.minimum}`
        : "";
  return t.Integer({ ...options, error: `${name} must be an integer${range}` });
}

/**
 * integerField for a query field that strictFields (a transform hook) has already read
 * into a number: the plain integer schema without Elysia's string-decoding transform,
 * which Elysia decodes twice per request (a tenth of a /consume in a profile). Same
 * OpenAPI type, same error text.
 */
export function parsedIntegerField(
  name: string,
  options: { minimum?: number; maximum?: number; description?: string } = {},
): ReturnType<typeof t.Integer> {
  const field = integerField(name, options);
  // At run time Elysia's t.Integer is a transform over [numeric string, TypeBox integer]
  // (typed as the integer it decodes to); the second is the plain schema. Any other
  // shape (another Elysia version) keeps the field as it is.
  const plain = (field as { anyOf?: unknown[] }).anyOf?.[1] as ReturnType<typeof t.Integer> | undefined;
  return plain?.type === "integer" ? plain : field;
}

/**
 * An integer inside a JSON body. Elysia's t.Integer accepts numeric strings through a
 * transform, and decoding that transform over a 1,000-message batch costs more than the
 * rest of validation; a body is JSON, so a number must be a number.
 */
export function bodyInteger(name: string, description?: string): ReturnType<typeof t.Number> {
  return t.Number({ multipleOf: 1, description, error: `${name} must be an integer` });
}

/** bodyInteger with a range, named in its error ("must be an integer from 1000 to 1800000"). */
export function bodyIntegerField(
  name: string,
  options: { minimum?: number; maximum?: number; description?: string } = {},
): ReturnType<typeof t.Number> {
  return t.Number({ ...options, multipleOf: 1, error: integerField(name, options).error as string });
}

/** null is "no key", as in Kafka's records, so JSON clients may send it either way. */
export const MessageKey = t.Union([t.String(), t.Null()], {
  description: "Picks the partition with Kafka's murmur2 partitioner; null or absent: no key",
  error: "key must be a string or null",
});

/** null is "no value" (a Kafka tombstone), kept distinct from the empty message "". */
export const MessageValue = t.Union([t.String(), t.Null()], {
  description: "The message (with a schema: a JSON document); null: a tombstone (no value, as a Kafka record with a null value)",
  error: "message must be a string or null",
});

/** A value or key that is not text, as its bytes in base64 (what reads show as message_base64 / key_base64). */
export const MessageBase64 = t.String({
  description: "The value's exact bytes in base64 (RFC 4648), for binary data; instead of message",
  error: "message_base64 must be a string (base64)",
});
export const KeyBase64 = t.String({
  description: "The key's exact bytes in base64 (RFC 4648); instead of key",
  error: "key_base64 must be a string (base64)",
});

export const ProduceItem = t.Object(
  {
    message: t.Optional(MessageValue),
    message_base64: t.Optional(MessageBase64),
    key: t.Optional(MessageKey),
    key_base64: t.Optional(KeyBase64),
    partition: t.Optional(bodyInteger("partition", "Explicit partition; wins over the key")),
    headers: t.Optional(Headers),
  },
  // A misspelt field ("kye") would store the message without its key, silently.
  { additionalProperties: false },
);

/** Most messages in one batch (Kafka bounds a produce request by bytes; here a message costs far more than its bytes). */
export const MAX_BATCH_MESSAGES = HTTP_LIMITS.maxBatchMessages.value;

export const ProduceBody = t.Object(
  {
    topic: TopicName,
    message: t.Optional(t.Union([t.String(), t.Null()], { description: "One message (or use `messages`); null: a tombstone (no value, as a Kafka record with a null value)", error: "message must be a string or null" })),
    message_base64: t.Optional(MessageBase64),
    key: t.Optional(MessageKey),
    key_base64: t.Optional(KeyBase64),
    partition: t.Optional(bodyInteger("partition", "Explicit partition; wins over the key")),
    headers: t.Optional(Headers),
    acks: t.Optional(
      t.Union([t.Literal("all"), t.Literal("1"), t.Literal("0"), t.Literal(-1), t.Literal(1), t.Literal(0)], {
        description: 'Kafka\'s acks: "all" (default; every in-sync replica has it), "1" (the leader wrote it) or "0" (202, no offset)',
        error: 'acks must be "all", "1" or "0"',
      }),
    ),
    messages: t.Optional(
      t.Array(ProduceItem, { maxItems: MAX_BATCH_MESSAGES, description: "A batch: one append per partition, answers in order" }),
    ),
  },
  { additionalProperties: false },
);

export const ProduceAck = t.Object({ offset: t.Integer(), partition: t.Integer() });

export const ProduceBatchAnswer = t.Object({
  results: t.Array(
    t.Union([ProduceAck, t.Object({ error: t.String(), message: t.String(), details: t.Optional(t.Unknown()) })]),
    { description: "One per message, in order" },
  ),
});

export const RecordBody = t.Object({
  offset: t.Integer(),
  key: t.Union([t.String(), t.Null()]),
  message: t.Union([t.String(), t.Null()], { description: "null: the record has no value (a Kafka tombstone), which is not the empty string" }),
  headers: t.Record(t.String(), t.String()),
  timestamp: t.Integer({ description: "Milliseconds since the epoch" }),
});

export const RecordsAnswer = t.Object({
  topic: t.String(),
  partition: t.Integer(),
  records: t.Array(RecordBody),
  next_offset: t.Integer({ description: "Offset to ask for next" }),
  start_offset: t.Integer(),
  end_offset: t.Integer({ description: "Next offset to be written (high watermark)" }),
});
