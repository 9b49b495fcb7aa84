import { describe, expect, test } from "bun:test";
import { APIS } from "../../../src/kafka/protocol/apis/index.ts";
import {
  readRequestHeader,
  readResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
  writeResponseHeader,
} from "../../../src/kafka/protocol/headers.ts";
import { Reader } from "../../../src/kafka/protocol/reader.ts";
import { Writer } from "../../../src/kafka/protocol/writer.ts";
import { cat, hex, i16, i32, text, uv } from "./support/wire.ts";

describe("header versions", () => {
  test("requests use header v2 in flexible versions and v1 otherwise", () => {
    expect(requestHeaderVersion(APIS.Metadata, 8)).toBe(1);
    expect(requestHeaderVersion(APIS.Metadata, 9)).toBe(2);
    expect(requestHeaderVersion(APIS.ApiVersions, 3)).toBe(2);
  });

  test("responses use header v1 in flexible versions, except ApiVersions, always v0 (KIP-511)", () => {
    expect(responseHeaderVersion(APIS.Metadata, 8)).toBe(0);
    expect(responseHeaderVersion(APIS.Metadata, 9)).toBe(1);
    expect(responseHeaderVersion(APIS.ApiVersions, 3)).toBe(0);
  });
});

describe("request header", () => {
  const header = { apiKey: 3, apiVersion: 9, correlationId: 42, clientId: "rdkafka" };
  const v1 = cat(i16(3), i16(9), i32(42), i16(7), text("rdkafka"));

  test("v0 is key, version and correlation id; v1 adds a non-compact nullable client id; v2 a tagged section", () => {
    for (const [version, bytes] of [
      [0, cat(i16(3), i16(9), i32(42))],
      [1, v1],
      [2, cat(v1, uv(0))],
    ] as const) {
      const w = new Writer();
      writeRequestHeader(w, header, version);
      expect(hex(w.finish())).toBe(hex(bytes));
      expect(readRequestHeader(new Reader(bytes), version)).toEqual(version === 0 ? { ...header, clientId: null } : header);
    }
  });

  test("a null client id is int16 -1", () => {
    const w = new Writer();
    writeRequestHeader(w, { ...header, clientId: null }, 1);
    expect(hex(w.finish())).toBe(hex(cat(i16(3), i16(9), i32(42), i16(-1))));
  });

  test("a truncated header is refused", () => {
    expect(() => readRequestHeader(new Reader(cat(i16(3), i16(9), i32(42), i16(7), text("rd"))), 1)).toThrow(
      "truncated input: client id needs 7 bytes at offset 10, 2 left",
    );
  });
});

describe("response header", () => {
  test("v0 is the correlation id; v1 adds a tagged section", () => {
    const w0 = new Writer();
    writeResponseHeader(w0, 7, 0);
    expect(hex(w0.finish())).toBe("00000007");
    const w1 = new Writer();
    writeResponseHeader(w1, 7, 1);
    expect(hex(w1.finish())).toBe("0000000700");
    expect(readResponseHeader(new Reader(cat(i32(7), uv(1), uv(3), uv(1), Uint8Array.of(9))), 1)).toEqual({ correlationId: 7 });
  });
});
