import { describe, expect, test } from "bun:test";
import { isFlexible } from "../../../../src/kafka/protocol/api.ts";
import { APIS, type ApiName } from "../../../../src/kafka/protocol/apis/index.ts";
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type RequestBody,
  type ResponseBody,
} from "../../../../src/kafka/protocol/messages.ts";
import type { EncodeInput } from "../../../../src/kafka/protocol/schema.ts";
import { COMMITTED_HEX } from "./committed-hex.ts";
import { kafkajsRequestBytes, type KafkajsRequest } from "./kafkajs.ts";
import { project } from "./project.ts";
import { type Bytes, cat, type Dialect, dialect, hex, i16, i32, text, uv } from "./wire.ts";

/**
 * One API's byte fixtures: a sample request and response holding every field of every
 * version, and the layout of each as the Kafka protocol guide spells it (written with the
 * independent wire helpers). For every declared version the codec must encode the sample
 * to exactly those bytes and decode them back to the sample as that version sees it;
 * where kafkajs has the version, its encoder must produce the same request bytes; where
 * it has not, the committed hex (committed-hex.ts) must still match.
 */
export interface ApiFixture<K extends ApiName> {
  api: K;
  request: EncodeInput<RequestBody<K>>;
  response: EncodeInput<ResponseBody<K>>;
  requestLayout(version: number, d: Dialect): Bytes;
  responseLayout(version: number, d: Dialect): Bytes;
  /** kafkajs's request for the same sample, per version kafkajs implements. */
  kafkajs?: Record<number, () => KafkajsRequest>;
}

const CORRELATION_ID = 0x01020304;
const CLIENT_ID = "sn-test";

export function requestFrame(apiKey: number, version: number, flexible: boolean, body: Bytes): Bytes {
  const header = cat(i16(apiKey), i16(version), i32(CORRELATION_ID), i16(text(CLIENT_ID).length), text(CLIENT_ID), flexible ? uv(0) : []);
  return cat(i32(header.length + body.length), header, body);
}

export function responseFrame(headerV1: boolean, body: Bytes): Bytes {
  const header = cat(i32(CORRELATION_ID), headerV1 ? uv(0) : []);
  return cat(i32(header.length + body.length), header, body);
}

export function describeApi<K extends ApiName>(f: ApiFixture<K>): void {
  const api = APIS[f.api];
  const versions = Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i);
  describe(`${f.api} (key ${api.key}) v${api.minVersion}–v${api.maxVersion}`, () => {
    for (const v of versions) {
      const flexible = isFlexible(api, v);
      const d = dialect(flexible);
      const responseHeaderV1 = flexible && f.api !== "ApiVersions";

      test(`v${v} request encodes to the protocol guide's layout`, () => {
        const expected = requestFrame(api.key, v, flexible, f.requestLayout(v, d));
        const actual = encodeRequest(f.api, v, { correlationId: CORRELATION_ID, clientId: CLIENT_ID }, f.request);
        expect(hex(actual)).toBe(hex(expected));
      });

      test(`v${v} request decodes from the layout`, () => {
        const frame = requestFrame(api.key, v, flexible, f.requestLayout(v, d)).subarray(4);
        const decoded = decodeRequest(frame);
        expect(decoded.api).toBe(f.api);
        expect(decoded.version).toBe(v);
        expect(decoded.header).toEqual({ apiKey: api.key, apiVersion: v, correlationId: CORRELATION_ID, clientId: CLIENT_ID });
        expect(decoded.body as unknown).toEqual(project(api.request, f.request, v, flexible));
      });

      test(`v${v} response encodes to the protocol guide's layout`, () => {
        const expected = responseFrame(responseHeaderV1, f.responseLayout(v, d));
        const actual = encodeResponse(f.api, v, CORRELATION_ID, f.response);
        expect(hex(actual)).toBe(hex(expected));
      });

      test(`v${v} response decodes from the layout`, () => {
        const frame = responseFrame(responseHeaderV1, f.responseLayout(v, d)).subarray(4);
        const decoded = decodeResponse(f.api, v, frame);
        expect(decoded.correlationId).toBe(CORRELATION_ID);
        expect(decoded.body as unknown).toEqual(project(api.response, f.response, v, flexible));
      });

      const kafkajs = f.kafkajs?.[v];
      if (kafkajs) {
        test(`v${v} request is byte-identical to kafkajs's encoder`, async () => {
          const theirs = await kafkajsRequestBytes(kafkajs(), CORRELATION_ID, CLIENT_ID);
          const ours = encodeRequest(f.api, v, { correlationId: CORRELATION_ID, clientId: CLIENT_ID }, f.request);
          expect(hex(ours)).toBe(hex(theirs));
        });
      }

      const requestHex = COMMITTED_HEX[f.api]?.request[v];
      if (requestHex !== undefined) {
        test(`v${v} request matches its committed hex fixture`, () => {
          expect(hex(f.requestLayout(v, d))).toBe(requestHex);
        });
      }
      const responseHex = COMMITTED_HEX[f.api]?.response[v];
      if (responseHex !== undefined) {
        test(`v${v} response matches its committed hex fixture`, () => {
          expect(hex(f.responseLayout(v, d))).toBe(responseHex);
        });
      }
    }
  });
}
