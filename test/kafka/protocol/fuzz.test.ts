import { describe, expect, test } from "bun:test";
import { crc32c } from "../../../src/lib/crc32c.ts";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { isFlexible } from "../../../src/kafka/protocol/api.ts";
import { APIS } from "../../../src/kafka/protocol/apis/index.ts";
import { COMPRESSION, type CompressionName } from "../../../src/kafka/protocol/compression.ts";
import { decodeRequest, encodeRequest, encodeResponse, decodeResponse } from "../../../src/kafka/protocol/messages.ts";
import { decodeRecordBatch, encodeRecordBatch } from "../../../src/kafka/protocol/record-batch.ts";
import { requestFrame, responseFrame } from "./support/api-fixtures.ts";
import { COMMITTED_HEX } from "./support/committed-hex.ts";
import { fromHex } from "./support/wire.ts";

/**
 * Bad bytes may only ever fail as a StreamNestError: never a RangeError, TypeError or
 * hang. Every API and version is fed every truncation and a few hundred random
 * corruptions of a real message (seeded, so a failure replays), and every codec is fed
 * corrupted record batches whose CRC is fixed up so the corruption reaches the decoder.
 */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function onlyCodecErrors(fn: () => unknown, context: string): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof StreamNestError)) throw new Error(`${context}: threw ${(e as Error).name}: ${(e as Error).message}`);
  }
}

// A request that fills most fields of the APIs' top level with values of the right kind
// is not needed here: the empty (all-defaults) body exercises every version's layout, and
// the corruptions turn its lengths and counts into anything.
describe("corrupted requests and responses fail cleanly", () => {
  for (const api of Object.values(APIS)) {
    test(`${api.name}: every truncation and 300 corruptions of every version`, () => {
      const random = rng(api.key + 1);
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        const req = encodeRequest(api.name, v, { correlationId: 1, clientId: "fuzz" }, {}).subarray(4);
        const res = encodeResponse(api.name, v, 1, {}).subarray(4);
        expect(decodeRequest(req).api).toBe(api.name);
        for (const [frame, decode] of [
          [req, (b: Uint8Array) => decodeRequest(b)],
          [res, (b: Uint8Array) => decodeResponse(api.name, v, b)],
        ] as const) {
          for (let cut = 0; cut < frame.length; cut++) onlyCodecErrors(() => decode(frame.subarray(0, cut)), `${api.name} v${v} cut ${cut}`);
          for (let i = 0; i < 150; i++) {
            const bad = frame.slice();
            const flips = 1 + Math.floor(random() * 3);
            for (let f = 0; f < flips; f++) bad[8 + Math.floor(random() * Math.max(1, bad.length - 8))] = Math.floor(random() * 256);
            onlyCodecErrors(() => decode(bad), `${api.name} v${v} flexible=${isFlexible(api, v)} corruption ${i}`);
          }
        }
      }
    });
  }
});

describe("corrupted fixtures (every field filled) fail cleanly", () => {
  for (const [name, fixture] of Object.entries(COMMITTED_HEX)) {
    const api = Object.values(APIS).find((a) => a.name === name);
    if (!api) throw new Error(`no API ${name}`);
    test(`${name}: every truncation and 200 corruptions of each committed fixture`, () => {
      const random = rng(api.key + 1000);
      for (const [version, body] of Object.entries(fixture.request)) {
        const v = Number(version);
        const flexible = isFlexible(api, v);
        const req = requestFrame(api.key, v, flexible, fromHex(body)).subarray(4);
        const res = responseFrame(flexible && name !== "ApiVersions", fromHex(fixture.response[v])).subarray(4);
        expect(decodeRequest(req).api).toBe(api.name);
        expect(decodeResponse(api.name, v, res).correlationId).toBe(0x01020304);
        for (const [frame, decode] of [
          [req, (b: Uint8Array) => decodeRequest(b)],
          [res, (b: Uint8Array) => decodeResponse(api.name, v, b)],
        ] as const) {
          for (let cut = 0; cut < frame.length; cut++) onlyCodecErrors(() => decode(frame.subarray(0, cut)), `${name} v${v} cut ${cut}`);
          for (let i = 0; i < 100; i++) {
            const bad = frame.slice();
            bad[8 + Math.floor(random() * (bad.length - 8))] = Math.floor(random() * 256);
            onlyCodecErrors(() => decode(bad), `${name} v${v} corruption ${i}`);
          }
        }
      }
    });
  }
});

describe("corrupted record batches fail cleanly", () => {
  const enc = new TextEncoder();
  const records = Array.from({ length: 20 }, (_, i) => ({
    key: enc.encode(`key-${i}`),
    value: enc.encode(`value-${i}-`.repeat(i + 1)),
    timestamp: 1_700_000_000_000n + BigInt(i),
    headers: [{ key: "h", value: enc.encode(String(i)) }],
  }));
  for (const codec of Object.keys(COMPRESSION) as CompressionName[]) {
    test(`${codec}: 300 corruptions behind a valid CRC`, () => {
      const random = rng(COMPRESSION[codec] + 100);
      const good = encodeRecordBatch({ records, compression: COMPRESSION[codec] });
      for (let i = 0; i < 300; i++) {
        const bad = good.slice();
        const at = 21 + Math.floor(random() * (bad.length - 21));
        bad[at] = Math.floor(random() * 256);
        new DataView(bad.buffer).setUint32(17, crc32c(bad.subarray(21)));
        onlyCodecErrors(() => decodeRecordBatch(bad, { maxDecompressedBytes: 1 << 20 }), `${codec} corruption ${i} at ${at}`);
      }
    });
  }
});
