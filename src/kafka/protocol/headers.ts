import { type ApiDef, isFlexible } from "./api.ts";
import { protocolError } from "./error-codes.ts";
import type { Reader } from "./reader.ts";
import { utf8, type Writer } from "./writer.ts";

/**
 * Request header v0/v1/v2 and response header v0/v1 (Kafka protocol guide, "Headers").
 * Request header v2 and response header v1 only add a tagged-field section (KIP-482);
 * the client id stays a non-compact nullable string in every version, which is why the
 * headers are not declared with the per-API structs.
 */
export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** Null when the client sent none (and always null in header v0). */
  clientId: string | null;
}

const API_VERSIONS_KEY = 18;

/** v2 for flexible request versions, v1 otherwise (v0 is only ControlledShutdown v0's). */
export function requestHeaderVersion(api: ApiDef, version: number): 1 | 2 {
  return isFlexible(api, version) ? 2 : 1;
}

/** v1 for flexible versions, v0 otherwise, and always v0 for ApiVersions (KIP-511). */
export function responseHeaderVersion(api: ApiDef, version: number): 0 | 1 {
  if (api.key === API_VERSIONS_KEY) return 0;
  return isFlexible(api, version) ? 1 : 0;
}

export function readRequestHeader(r: Reader, headerVersion: 0 | 1 | 2): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  let clientId: string | null = null;
  if (headerVersion >= 1) {
    const n = r.stringLength(true, "client id");
    clientId = n === -1 ? null : r.utf8(n, "client id");
  }
  if (headerVersion >= 2) skipTaggedFields(r);
  return { apiKey, apiVersion, correlationId, clientId };
}

export function writeRequestHeader(w: Writer, header: RequestHeader, headerVersion: 0 | 1 | 2): void {
  w.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId);
  if (headerVersion >= 1) {
    if (header.clientId === null) w.int16(-1);
    else {
      const id = utf8(header.clientId);
      if (id.length > 0x7fff) throw protocolError("INVALID_REQUEST", "INVALID_REQUEST", "client id longer than 32767 bytes");
      w.int16(id.length).bytes(id);
    }
  }
  if (headerVersion >= 2) w.uvarint(0);
}

export function readResponseHeader(r: Reader, headerVersion: 0 | 1): { correlationId: number } {
  const correlationId = r.int32();
  if (headerVersion >= 1) skipTaggedFields(r);
  return { correlationId };
}

export function writeResponseHeader(w: Writer, correlationId: number, headerVersion: 0 | 1): void {
  w.int32(correlationId);
  if (headerVersion >= 1) w.uvarint(0);
}

/** Headers define no tags StreamNest reads; their sections are checked and skipped. */
function skipTaggedFields(r: Reader): void {
  const count = r.arrayCount(r.uvarint(), "header tagged fields");
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.skip(r.uvarint(), "header tagged field");
  }
}
