import { StreamNestError } from "../lib/errors.ts";
import type { CompiledSchema } from "../schema/registry.ts";
import type { RecordHeader, RecordInput } from "../storage/types.ts";
import type { ProduceMessage } from "./types.ts";

const encoder = new TextEncoder();
const NO_HEADERS: RecordHeader[] = [];

/**
 * Turns one produced message into a log record, or throws the reason it is refused.
 * Checks run cheapest first; the schema (JSON parse + ajv) runs last.
 */
export function toRecord(
  msg: ProduceMessage,
  topic: string,
  maxMessageBytes: number,
  schema: CompiledSchema | undefined,
  timestamp: number,
  field = "message",
): RecordInput {
  if (typeof msg !== "object" || msg === null) throw new StreamNestError("INVALID_REQUEST", `${field} must be an object`);
  const message = msg.message;
  if (typeof message !== "string") throw new StreamNestError("INVALID_REQUEST", `${field} must be a string`);
  const key = msg.key;
  if (key !== undefined && key !== null && typeof key !== "string")
    throw new StreamNestError("INVALID_REQUEST", `key must be a string`);

  assertWellFormed(message, field);
  if (typeof key === "string") assertWellFormed(key, field === "message" ? "key" : field.replace(/message$/, "key"));

  const value = encoder.encode(message);
  let size = value.length;
  const keyBytes = typeof key === "string" ? encoder.encode(key) : null;
  if (keyBytes) size += keyBytes.length;
  let headers = NO_HEADERS;
  if (msg.headers !== undefined) {
    headers = toHeaders(msg.headers);
    // Header names are stored as UTF-8: count their bytes, not their UTF-16 units.
    for (const h of headers) size += Buffer.byteLength(h.key) + (h.value?.length ?? 0);
  }
  if (size > maxMessageBytes)
    throw new StreamNestError(
      "MESSAGE_TOO_LARGE",
      `the message takes ${size} bytes (value, key and headers); the limit is ${maxMessageBytes}`,
    );
  schema?.check(message, topic);
  return { key: keyBytes, value, headers, timestamp };
}

/**
 * JSON may carry a lone UTF-16 surrogate ("\ud800"); UTF-8 cannot, so it would be stored
 * as U+FFFD and read back different from what was acknowledged. Refused instead.
 */
function assertWellFormed(text: string, field: string): void {
  if (text.isWellFormed()) return;
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

function toHeaders(headers: unknown): RecordHeader[] {
  if (typeof headers !== "object" || headers === null || Array.isArray(headers))
    throw new StreamNestError("INVALID_REQUEST", "headers must be an object of string values");
  const out: RecordHeader[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value !== "string")
      throw new StreamNestError("INVALID_REQUEST", `header "${key}" must have a string value`);
    assertWellFormed(key, "a header name");
    assertWellFormed(value, `header "${key}"`);
    out.push({ key, value: encoder.encode(value) });
  }
  return out;
}
