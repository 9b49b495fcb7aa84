import { type ProduceOutcome, type ProduceRecord, type RecordHeader } from "../broker/types.ts";
import { StreamNestError } from "../lib/errors.ts";

/**
 * JSON messages of POST /produce as the core's records: text as UTF-8 bytes. Their
 * types were checked by the route's schema; what JSON can carry but UTF-8 cannot (a
 * lone surrogate) is refused here, in the request's own field names.
 */

/** A message as the route's schema let it through. */
export interface JsonMessage {
  /** null: a tombstone, stored as a record without a value. Undefined only with message_base64. */
  message?: string | null;
  /** The value's exact bytes in base64 (RFC 4648), for a value that is not text; instead of message. */
  message_base64?: string;
  key?: string | null;
  /** The key's exact bytes in base64; instead of key. */
  key_base64?: string;
  partition?: number;
  headers?: Record<string, string>;
}

const encoder = new TextEncoder();
const NO_HEADERS: RecordHeader[] = [];

/**
 * `index`: the message's place in a batch's `messages`, which the request's field names
 * then carry ("messages[3].message"); none for a single message ("message"). The names
 * are built only for a refusal: building two per message was a fifth of the cost of a
 * batch of 1,000.
 */
export function toProduceRecord(msg: JsonMessage, index?: number): ProduceRecord {
  const { message, key } = msg;
  const field = (name: "message" | "key"): string => (index === undefined ? name : `messages[${index}].${name}`);
  if (msg.message_base64 !== undefined && message !== undefined)
    throw new StreamNestError("INVALID_REQUEST", `give either ${field("message")} or ${field("message")}_base64, not both`);
  if (msg.key_base64 !== undefined && key !== undefined && key !== null)
    throw new StreamNestError("INVALID_REQUEST", `give either ${field("key")} or ${field("key")}_base64, not both`);
  if (message === undefined && msg.message_base64 === undefined)
    throw new StreamNestError(
      "INVALID_REQUEST",
      `${field("message")} is required (a string, or null for a tombstone), or ${field("message")}_base64 (bytes in base64)`,
    );
  if (typeof message === "string" && !message.isWellFormed()) refuseIllFormed(message, field("message"));
  if (typeof key === "string" && !key.isWellFormed()) refuseIllFormed(key, field("key"));
  let headers = NO_HEADERS;
  if (msg.headers !== undefined) {
    headers = [];
    for (const name in msg.headers) {
      const value = msg.headers[name];
      if (!name.isWellFormed()) refuseIllFormed(name, "a header name");
      if (!value.isWellFormed()) refuseIllFormed(value, `header "${name}"`);
      headers.push({ key: name, value: encoder.encode(value) });
    }
  }
  const value =
    msg.message_base64 !== undefined ? base64Bytes(msg.message_base64, `${field("message")}_base64`) : message === null || message === undefined ? null : encoder.encode(message);
  const keyBytes = msg.key_base64 !== undefined ? base64Bytes(msg.key_base64, `${field("key")}_base64`) : typeof key === "string" ? encoder.encode(key) : null;
  const record: ProduceRecord = { key: keyBytes, value, headers };
  if (msg.partition !== undefined) record.partition = msg.partition;
  return record;
}

/**
 * A batch: the records of the messages that convert, and the refusal of each one that
 * does not, at its index. `merge` puts the core's outcomes for the records among them.
 */
export function toProduceBatch(messages: readonly JsonMessage[]): {
  records: ProduceRecord[];
  merge(outcomes: readonly ProduceOutcome[]): ProduceOutcome[];
} {
  const records: ProduceRecord[] = [];
  let refused: Map<number, ProduceOutcome> | undefined;
  for (let i = 0; i < messages.length; i++) {
    try {
      records.push(toProduceRecord(messages[i], i));
    } catch (error) {
      if (!(error instanceof StreamNestError)) throw error;
      (refused ??= new Map()).set(i, error.toJSON());
    }
  }
  return {
    records,
    merge(outcomes) {
      if (!refused) return [...outcomes];
      const out: ProduceOutcome[] = [];
      let next = 0;
      for (let i = 0; i < messages.length; i++) out.push(refused.get(i) ?? outcomes[next++]);
      return out;
    },
  };
}

/** Canonical base64 (RFC 4648 section 4: the standard alphabet, padded): what message_base64 reads back as. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The bytes of a base64 field, refused unless it is canonical base64: Buffer.from would
 * skip a character outside the alphabet without a word and store other bytes than meant.
 */
function base64Bytes(text: string, field: string): Uint8Array {
  if (!BASE64.test(text)) {
    throw new StreamNestError(
      "INVALID_REQUEST",
      `${field} must be base64 (RFC 4648: A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters)`,
    );
  }
  const bytes = Buffer.from(text, "base64");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * JSON may carry a lone UTF-16 surrogate ("\ud800"); UTF-8 cannot, so it would be stored
 * as U+FFFD and read back different from what was acknowledged. Refused instead, for a
 * text whose isWellFormed() is false.
 */
function refuseIllFormed(text: string, field: string): never {
  let at = 0;
  for (; at < text.length; at++) {
    const unit = text.charCodeAt(at);
    if (unit >= 0xd800 && unit <= 0xdbff && at + 1 < text.length) {
      const next = text.charCodeAt(at + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        at++;
        continue;
      }
    }
    if (unit >= 0xd800 && unit <= 0xdfff) break;
  }
  const unit = text.charCodeAt(at).toString(16);
  throw new StreamNestError(
    "INVALID_REQUEST",
    `${field} is not valid Unicode: a lone surrogate \\u${unit} at character ${at} (a "\\u${unit}" escape needs its pair)`,
  );
}
