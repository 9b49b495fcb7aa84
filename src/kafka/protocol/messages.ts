import { StreamNestError } from "../../lib/errors.ts";
import type { ApiDef, RequestOf, ResponseOf } from "./api.ts";
import { isFlexible } from "./api.ts";
import { APIS, type ApiName, type Apis, apiByKey, supportedApiVersions } from "./apis/index.ts";
import { decodeStruct, encodeStruct } from "./codec.ts";
import { KAFKA_ERROR, protocolError } from "./error-codes.ts";
import {
  readRequestHeader,
  readResponseHeader,
  type RequestHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
  writeResponseHeader,
} from "./headers.ts";
import { elementBudget, Reader } from "./reader.ts";
import type { EncodeInput } from "./schema.ts";
import { Writer, type WriterMemory } from "./writer.ts";

/**
 * The codec's entry points for the TCP server and the handlers: a request frame (the
 * bytes after the 4-byte size, as FrameSplitter yields them) in, a typed request out; a
 * typed response in, the bytes to write (size prefix included) out.
 */

export type RequestBody<K extends ApiName> = RequestOf<Apis[K]>;
export type ResponseBody<K extends ApiName> = ResponseOf<Apis[K]>;

/** A decoded request, discriminated by `api`: `switch (req.api) { case "Metadata": … }`. */
export type KafkaRequest = {
  [K in ApiName]: { api: K; version: number; header: RequestHeader; body: RequestBody<K> };
}[ApiName];

/**
 * The fixed start of every request header (api key, version, correlation id), read
 * without knowing the API: what a server needs to answer or log a request it cannot
 * decode.
 */
export function peekRequestHeader(frame: Uint8Array): { apiKey: number; apiVersion: number; correlationId: number } {
  const r = new Reader(frame);
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

/**
 * Decodes one request frame. Throws a StreamNestError (INVALID_REQUEST) whose details
 * name the Kafka error: UNSUPPORTED_VERSION for an unknown API key or a version outside
 * the declared range, CORRUPT_MESSAGE for truncated or malformed bytes. Bytes left over
 * after the body are ignored, as Apache Kafka's request parsing ignores them: librdkafka
 * (up to at least 2.10) sends Metadata v9+ "all topics" requests with a 4-byte null array
 * count where a 1-byte varint belongs (confluentinc/librdkafka#5049), and Kafka answers them.
 */
export function decodeRequest(frame: Uint8Array, maxElements = Infinity): KafkaRequest {
  const { apiKey, apiVersion } = peekRequestHeader(frame);
  const api = apiByKey(apiKey);
  if (!api) {
    throw protocolError("INVALID_REQUEST", "UNSUPPORTED_VERSION", `unknown API key ${apiKey}`);
  }
  checkVersion(api, apiVersion);
  const r = new Reader(frame, 0, frame.length, elementBudget(maxElements));
  const header = readRequestHeader(r, requestHeaderVersion(api, apiVersion));
  const body = decodeBody(r, api, apiVersion, "request", true);
  return { api: api.name, version: apiVersion, header, body } as KafkaRequest;
}

/** Encodes a response, size prefix included, ready for the socket. */
export function encodeResponse<K extends ApiName>(
  apiName: K,
  version: number,
  correlationId: number,
  body: EncodeInput<ResponseBody<K>>,
  /** Where the response's buffer comes from (a pool the caller gives it back to once written). */
  memory?: WriterMemory,
): Uint8Array {
  const api: ApiDef = APIS[apiName];
  checkVersion(api, version);
  const w = new Writer(512, memory);
  const sizeAt = w.reserve(4);
  writeResponseHeader(w, correlationId, responseHeaderVersion(api, version));
  encodeStruct(w, api.response, body as EncodeInput<unknown>, version, isFlexible(api, version));
  w.setInt32At(sizeAt, w.length - 4);
  return w.finish();
}

/**
 * KIP-511's answer to an ApiVersions request of a version the broker does not know:
 * ApiVersions v0 layout (header v0), UNSUPPORTED_VERSION, listing ApiVersions' own range
 * so the client retries with a version both sides know.
 */
export function encodeApiVersionsFallback(correlationId: number): Uint8Array {
  const own = supportedApiVersions().filter((a) => a.apiKey === APIS.ApiVersions.key);
  return encodeResponse("ApiVersions", 0, correlationId, {
    errorCode: KAFKA_ERROR.UNSUPPORTED_VERSION,
    apiKeys: own,
  });
}

/** A SASL token after SaslHandshake v0 (KIP-43): its bytes behind an int32 size, no header. */
export function encodeBareSaslToken(token: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + token.length);
  new DataView(out.buffer).setInt32(0, token.length);
  out.set(token, 4);
  return out;
}

// ---- the client side: used by tests, and by anything in StreamNest that speaks Kafka out ----

/** Encodes a request, size prefix included. */
export function encodeRequest<K extends ApiName>(
  apiName: K,
  version: number,
  header: { correlationId: number; clientId: string | null },
  body: EncodeInput<RequestBody<K>>,
): Uint8Array {
  const api: ApiDef = APIS[apiName];
  checkVersion(api, version);
  const w = new Writer(256);
  const sizeAt = w.reserve(4);
  writeRequestHeader(
    w,
    { apiKey: api.key, apiVersion: version, correlationId: header.correlationId, clientId: header.clientId },
    requestHeaderVersion(api, version),
  );
  encodeStruct(w, api.request, body as EncodeInput<unknown>, version, isFlexible(api, version));
  w.setInt32At(sizeAt, w.length - 4);
  return w.finish();
}

/** Decodes a response frame (without its size prefix) of a known API and version. */
export function decodeResponse<K extends ApiName>(
  apiName: K,
  version: number,
  frame: Uint8Array,
): { correlationId: number; body: ResponseBody<K> } {
  const api: ApiDef = APIS[apiName];
  checkVersion(api, version);
  const r = new Reader(frame);
  const { correlationId } = readResponseHeader(r, responseHeaderVersion(api, version));
  return { correlationId, body: decodeBody(r, api, version, "response") as ResponseBody<K> };
}

function decodeBody(r: Reader, api: ApiDef, version: number, kind: "request" | "response", trailingAllowed = false): unknown {
  const struct = kind === "request" ? api.request : api.response;
  let body: unknown;
  try {
    body = decodeStruct(r, struct, version, isFlexible(api, version));
  } catch (e) {
    if (e instanceof StreamNestError) {
      throw new StreamNestError(e.code, `${api.name} v${version} ${kind}: ${e.message}`, e.details);
    }
    throw e;
  }
  if (r.remaining !== 0 && !trailingAllowed) {
    throw protocolError(
      "INVALID_REQUEST",
      "INVALID_REQUEST",
      `${api.name} v${version} ${kind}: ${r.remaining} bytes left over after the body`,
    );
  }
  return body;
}

function checkVersion(api: ApiDef, version: number): void {
  if (version < api.minVersion || version > api.maxVersion) {
    throw protocolError(
      "INVALID_REQUEST",
      "UNSUPPORTED_VERSION",
      `${api.name} v${version} is not supported (versions ${api.minVersion}–${api.maxVersion} are)`,
    );
  }
}
