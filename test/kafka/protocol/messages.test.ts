import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { kafkaErrorOf } from "../../../src/kafka/protocol/error-codes.ts";
import {
  decodeRequest,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeRequest,
  encodeResponse,
  type KafkaRequest,
  peekRequestHeader,
} from "../../../src/kafka/protocol/messages.ts";
import { bool, cat, hex, i16, i32, text, uv } from "./support/wire.ts";

function caught(fn: () => unknown): StreamNestError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StreamNestError);
    return e as StreamNestError;
  }
  throw new Error("nothing was thrown");
}

/** A request frame body (no size prefix) with header v1. */
function frame(apiKey: number, version: number, body: Uint8Array, clientId: string | null = "c"): Uint8Array {
  const id = clientId === null ? i16(-1) : cat(i16(text(clientId).length), text(clientId));
  return cat(i16(apiKey), i16(version), i32(99), id, body);
}

describe("decodeRequest", () => {
  test("returns a request discriminated by API name, typed from the declarations", () => {
    const req: KafkaRequest = decodeRequest(frame(3, 1, i32(-1)));
    if (req.api !== "Metadata") throw new Error(`decoded ${req.api}`);
    // `req.body.topics` is typed (an array or null) because the API is narrowed.
    expect(req.body.topics).toBeNull();
    expect(req.body.allowAutoTopicCreation).toBe(true);
    expect(req.header).toEqual({ apiKey: 3, apiVersion: 1, correlationId: 99, clientId: "c" });
  });

  test("maxElements counts the array elements of the whole request, nested arrays together", () => {
    // OffsetFetch v1: group "g", topics [ "t": partitions [0, 1, 2] ] -> 1 + 3 = 4 elements.
    const body = cat(i16(1), text("g"), i32(1), i16(1), text("t"), i32(3), i32(0), i32(1), i32(2));
    const req = decodeRequest(frame(9, 1, body), 4);
    if (req.api !== "OffsetFetch") throw new Error(`decoded ${req.api}`);
    expect(req.body.topics?.[0].partitionIndexes).toEqual([0, 1, 2]);
    let error: unknown;
    try {
      decodeRequest(frame(9, 1, body), 3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StreamNestError);
    expect((error as Error).message).toContain("more than 3 array elements in all");
    expect(kafkaErrorOf(error)).toBe("INVALID_REQUEST");
  });

  test("a null client id is read as null", () => {
    const req = decodeRequest(frame(18, 0, new Uint8Array(0), null));
    expect(req.header.clientId).toBeNull();
  });

  test("an unknown API key is UNSUPPORTED_VERSION with the key named", () => {
    const e = caught(() => decodeRequest(frame(57, 0, new Uint8Array(0))));
    expect(e.code).toBe("INVALID_REQUEST");
    expect(e.message).toBe("unknown API key 57");
    expect(kafkaErrorOf(e)).toBe("UNSUPPORTED_VERSION");
  });

  test("transaction APIs are not offered (EndTxn, key 26)", () => {
    expect(caught(() => decodeRequest(frame(26, 0, new Uint8Array(0)))).message).toBe("unknown API key 26");
  });

  test("a version above the declared range is UNSUPPORTED_VERSION", () => {
    const e = caught(() => decodeRequest(frame(3, 13, new Uint8Array(0))));
    expect(e.message).toBe("Metadata v13 is not supported (versions 0–12 are)");
    expect(kafkaErrorOf(e)).toBe("UNSUPPORTED_VERSION");
  });

  test("a version below the declared range is UNSUPPORTED_VERSION", () => {
    const e = caught(() => decodeRequest(frame(0, 2, new Uint8Array(0))));
    expect(e.message).toBe("Produce v2 is not supported (versions 3–9 are)");
  });

  test("a truncated body is CORRUPT_MESSAGE naming the API, version and field", () => {
    const e = caught(() => decodeRequest(frame(12, 0, cat(i16(7), text("group-a"), i32(3)))));
    expect(e.message).toBe("Heartbeat v0 request: memberId > truncated input: int16 needs 2 bytes at offset 24, 0 left");
    expect(kafkaErrorOf(e)).toBe("CORRUPT_MESSAGE");
  });

  test("a negative array length is refused", () => {
    const e = caught(() => decodeRequest(frame(15, 0, i32(-5))));
    expect(e.message).toBe("DescribeGroups v0 request: groups > array: invalid length -5");
  });

  test("a huge array length is refused without allocating", () => {
    const e = caught(() => decodeRequest(frame(15, 0, i32(0x7fffffff))));
    expect(e.message).toBe("DescribeGroups v0 request: groups > array: array of 2147483647 elements cannot fit in the 0 bytes left");
  });

  test("bytes left over after a request body are ignored, as Apache Kafka ignores them", () => {
    expect(decodeRequest(frame(16, 0, i32(1))).body).toEqual({ statesFilter: [] });
    // librdkafka's Metadata v12 "all topics" request (confluentinc/librdkafka#5049): a
    // 4-byte zero where the 1-byte null compact array belongs, then allow_auto_topic_creation
    // true, include_topic_authorized_operations false, no tags. Kafka reads the null array,
    // two false booleans and empty tags from the zeros, and ignores the last 3 bytes.
    const librdkafka = cat(i16(3), i16(12), i32(7), i16(1), text("c"), uv(0), i32(0), bool(true), bool(false), uv(0));
    const req = decodeRequest(librdkafka);
    expect(req.api).toBe("Metadata");
    expect(req.body).toEqual({ topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  });

  test("bytes left over after a response body are refused", () => {
    const answer = encodeResponse("Heartbeat", 0, 5, { errorCode: 0 });
    const padded = cat(answer.subarray(4), i32(1));
    const e = caught(() => decodeResponse("Heartbeat", 0, padded));
    expect(e.message).toBe("Heartbeat v0 response: 4 bytes left over after the body");
    expect(kafkaErrorOf(e)).toBe("INVALID_REQUEST");
  });

  test("a frame shorter than the fixed header is refused", () => {
    expect(caught(() => peekRequestHeader(i16(3))).message).toContain("truncated input: int16 needs 2 bytes");
    expect(caught(() => decodeRequest(cat(i16(3), i16(1), i16(0)))).message).toContain("truncated input");
  });

  test("header v2 (flexible versions) skips its tagged fields", () => {
    const body = cat(uv(3), text("sn"), uv(2), text("1"), uv(0));
    const withTags = cat(i16(18), i16(3), i32(5), i16(1), text("c"), uv(1), uv(9), uv(2), i16(0), body);
    const req = decodeRequest(withTags);
    expect(req.api).toBe("ApiVersions");
    expect(req.body).toEqual({ clientSoftwareName: "sn", clientSoftwareVersion: "1" });
  });
});

describe("peekRequestHeader", () => {
  test("reads key, version and correlation id of a request it cannot decode", () => {
    expect(peekRequestHeader(frame(18, 9, new Uint8Array(0)))).toEqual({ apiKey: 18, apiVersion: 9, correlationId: 99 });
  });
});

describe("responses", () => {
  test("KIP-511: an unknown ApiVersions version gets a v0 answer with UNSUPPORTED_VERSION and ApiVersions' range", () => {
    // size, correlation id (header v0), error_code 35, [api_keys] = [(18, 0, 3)]
    expect(hex(encodeApiVersionsFallback(7))).toBe(
      hex(cat(i32(16), i32(7), i16(35), i32(1), i16(18), i16(0), i16(3))),
    );
  });

  test("ApiVersions v3 answers with response header v0 (no tagged section after the correlation id)", () => {
    const bytes = encodeResponse("ApiVersions", 3, 1, { errorCode: 0, apiKeys: [], throttleTimeMs: 0 });
    expect(hex(bytes)).toBe(hex(cat(i32(12), i32(1), i16(0), uv(1), i32(0), uv(0))));
  });

  test("flexible responses of other APIs carry response header v1", () => {
    const bytes = encodeResponse("Heartbeat", 4, 1, { errorCode: 0 });
    expect(hex(bytes)).toBe(hex(cat(i32(12), i32(1), uv(0), i32(0), i16(0), uv(0))));
  });

  test("encoding a response of an undeclared version is refused", () => {
    expect(() => encodeResponse("Fetch", 13, 1, {})).toThrow("Fetch v13 is not supported (versions 4–12 are)");
  });

  test("request and response round-trip through the client side too", () => {
    const req = encodeRequest("FindCoordinator", 4, { correlationId: 3, clientId: null }, { keyType: 0, coordinatorKeys: ["g"] });
    const decoded = decodeRequest(req.subarray(4));
    expect(decoded.body).toEqual({ key: "", keyType: 0, coordinatorKeys: ["g"] });
    const res = encodeResponse("FindCoordinator", 4, 3, {
      coordinators: [{ key: "g", nodeId: 1, host: "h", port: 9092, errorCode: 0, errorMessage: null }],
    });
    expect(decodeResponse("FindCoordinator", 4, res.subarray(4)).body.coordinators).toEqual([
      { key: "g", nodeId: 1, host: "h", port: 9092, errorCode: 0, errorMessage: null },
    ]);
  });
});
