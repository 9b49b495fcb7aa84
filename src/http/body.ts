import { isUtf8 } from "node:buffer";
import { isInternalPath } from "../lib/internal-routes.ts";
import { StreamNestError } from "../lib/errors.ts";
import { HTTP_LIMITS } from "../config/http.ts";
import { nestingPastLimit } from "./json-depth.ts";

const MAX_JSON_DEPTH = HTTP_LIMITS.maxJsonDepth.value;

// Drops a leading byte order mark, which some editors write and JSON.parse refuses.
const decoder = new TextDecoder("utf-8");

/** The content type of binary broker-to-broker bodies, handed to their route as bytes. */
export const BINARY_TYPE = "application/octet-stream";

/**
 * The body parser of every route: the size limit first (413 before reading a byte when
 * Content-Length says too much, or as soon as a chunked body passes it), then JSON
 * whatever the Content-Type, since `curl -d` sends form encoding by default.
 */
export function jsonBodyParser(publicLimit: number, internalLimit: number = publicLimit) {
  return async ({ request }: { request: Request }): Promise<unknown> => {
    // A call from another broker (already past the secret check) wraps a request that
    // broker accepted under the same limit, so it gets room for the wrapping.
    const limit = internalLimit !== publicLimit && isInternalRequest(request.url) ? internalLimit : publicLimit;
    assertPlainEncoding(request);
    const declared = request.headers.get("content-length");
    let bytes: Uint8Array;
    if (declared !== null) {
      const length = Number(declared);
      if (length > limit) throw tooLarge(length, limit);
      bytes = new Uint8Array(await request.arrayBuffer());
    } else {
      bytes = await readLimited(request, limit);
    }
    // No body at all (a DELETE, say) is null, so routes that need one fail validation.
    if (bytes.length === 0) return null;
    // Replication between brokers is binary (cluster/replication/fetch-wire.ts), not JSON.
    if (request.headers.get("content-type") === BINARY_TYPE && isInternalRequest(request.url)) return bytes;
    // JSON is UTF-8 (RFC 8259). Decoding anything else would store U+FFFD in place of
    // the bytes sent (a Latin-1 file, say), and acknowledge a message that reads back
    // different from what was produced.
    if (!isUtf8(bytes))
      throw new StreamNestError(
        "INVALID_REQUEST",
        `the request body is not valid UTF-8 (first bad byte at position ${firstInvalidByte(bytes)}); JSON must be sent as UTF-8`,
      );
    const tooDeep = nestingPastLimit(bytes, MAX_JSON_DEPTH);
    if (tooDeep !== undefined)
      throw new StreamNestError(
        "INVALID_REQUEST",
        `the request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep (at byte ${tooDeep}); the limit is ${MAX_JSON_DEPTH}`,
      );
    const text = decoder.decode(bytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new StreamNestError("INVALID_REQUEST", `the request body is not valid JSON: ${(error as Error).message}`);
    }
    // Checked here: Elysia's number coercion turns an array or a string into an object
    // before validation, and the error would then blame a field.
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new StreamNestError(
        "INVALID_REQUEST",
        `the request body must be a JSON object, not ${body === null ? "null" : Array.isArray(body) ? "an array" : typeof body}`,
      );
    return body;
  };
}

/**
 * A body sent compressed (Content-Encoding: gzip, br, …) is refused before it is read,
 * naming the encoding: read as it came it was "not valid UTF-8", which sent a user looking
 * for a character set problem. `identity` is no encoding at all.
 */
export function assertPlainEncoding(request: Request): void {
  const encoding = request.headers.get("content-encoding");
  if (encoding === null || encoding.trim() === "" || encoding.trim().toLowerCase() === "identity") return;
  throw new StreamNestError("UNSUPPORTED_MEDIA_TYPE", `request bodies are read as sent: Content-Encoding "${encoding.slice(0, 40)}" is not supported; send the body uncompressed`);
}

/** The whole body, refused (413) as soon as it passes `limit`; Content-Length is checked before reading. */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge(Number(declared), limit);
  return readLimited(request, limit);
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(total, limit);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** Where the first byte that breaks UTF-8 is (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    for (let k = 1; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    const second = bytes[i + 1];
    if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return i;
    i += length;
  }
  return i;
}

function tooLarge(length: number, limit: number): StreamNestError {
  return new StreamNestError("BODY_TOO_LARGE", `the request body is over ${limit} bytes (at least ${length})`, { limit });
}

function isInternalRequest(url: string): boolean {
  return url.includes("/internal") && isInternalPath(new URL(url).pathname);
}
