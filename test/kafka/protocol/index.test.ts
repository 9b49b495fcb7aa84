import { describe, expect, test } from "bun:test";
import {
  APIS,
  decodeRecordBatches,
  decodeRequest,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeRecordBatch,
  encodeRequest,
  encodeResponse,
  FrameSplitter,
  KAFKA_ERROR,
  type KafkaRequest,
  kafkaErrorOf,
  peekRequestHeader,
  supportedApiVersions,
} from "../../../src/kafka/protocol/index.ts";
import { kafkajsRequest, kafkajsRequestBytes } from "./support/kafkajs.ts";
import { cat, i16, i32, text, uv } from "./support/wire.ts";

/** The loop a TCP server runs over the codec, as the module comment describes it. */
function serve(splitter: FrameSplitter, chunk: Uint8Array): { answers: Uint8Array[]; requests: KafkaRequest[]; closed?: string } {
  const answers: Uint8Array[] = [];
  const requests: KafkaRequest[] = [];
  for (const frame of splitter.push(chunk)) {
    const { apiKey, correlationId } = peekRequestHeader(frame);
    let req: KafkaRequest;
    try {
      req = decodeRequest(frame);
    } catch (e) {
      if (apiKey === APIS.ApiVersions.key && kafkaErrorOf(e) === "UNSUPPORTED_VERSION") {
        answers.push(encodeApiVersionsFallback(correlationId));
        continue;
      }
      return { answers, requests, closed: (e as Error).message };
    }
    requests.push(req);
    switch (req.api) {
      case "ApiVersions":
        answers.push(encodeResponse("ApiVersions", req.version, correlationId, { apiKeys: supportedApiVersions() }));
        break;
      case "Produce": {
        const [batch] = decodeRecordBatches(req.body.topicData[0].partitionData[0].records ?? new Uint8Array(0));
        answers.push(
          encodeResponse("Produce", req.version, correlationId, {
            responses: [{ name: req.body.topicData[0].name, partitionResponses: [{ index: 0, baseOffset: BigInt(batch.records.length) }] }],
          }),
        );
        break;
      }
      default:
        answers.push(new Uint8Array(0));
    }
  }
  return { answers, requests };
}

describe("the codec as a server uses it", () => {
  test("a stream of kafkajs requests split mid-frame is decoded and answered in order", async () => {
    const apiVersions = await kafkajsRequestBytes(kafkajsRequest("apiVersions", 2)({}), 1, "kafkajs");
    const produce = await kafkajsRequestBytes(
      kafkajsRequest("produce", 7)({
        acks: 1,
        timeout: 1000,
        topicData: [{ topic: "t", partitions: [{ partition: 0, messages: [{ key: null, value: Buffer.from("a"), timestamp: 1 }] }] }],
      }),
      2,
      "kafkajs",
    );
    const stream = cat(apiVersions, produce);
    const splitter = new FrameSplitter();
    const first = serve(splitter, stream.subarray(0, 30));
    const second = serve(splitter, stream.subarray(30));
    expect(first.requests.map((r) => r.api)).toEqual(["ApiVersions"]);
    expect(second.requests.map((r) => [r.api, r.version, r.header.correlationId, r.header.clientId])).toEqual([
      ["Produce", 7, 2, "kafkajs"],
    ]);

    const answer = decodeResponse("ApiVersions", 2, first.answers[0].subarray(4));
    expect(answer.correlationId).toBe(1);
    expect(answer.body.apiKeys).toEqual(supportedApiVersions());
    const produced = decodeResponse("Produce", 7, second.answers[0].subarray(4));
    expect(produced.body.responses[0].partitionResponses[0].baseOffset).toBe(1n);
  });

  test("an ApiVersions version from the future gets KIP-511's v0 answer; another unknown request closes", () => {
    const future = cat(i16(18), i16(9), i32(5), i16(1), text("c"), uv(0), uv(0));
    const splitter = new FrameSplitter();
    const out = serve(splitter, cat(i32(future.length), future, encodeRequest("Heartbeat", 4, { correlationId: 6, clientId: "c" }, {})));
    const fallback = decodeResponse("ApiVersions", 0, out.answers[0].subarray(4));
    expect(fallback).toEqual({
      correlationId: 5,
      body: { errorCode: KAFKA_ERROR.UNSUPPORTED_VERSION, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false },
    });
    expect(out.requests.map((r) => r.api)).toEqual(["Heartbeat"]);
    const unknown = cat(i16(57), i16(0), i32(7), i16(-1));
    expect(serve(new FrameSplitter(), cat(i32(unknown.length), unknown)).closed).toBe("unknown API key 57");
  });

  test("a batch built for a Fetch answer is read back by the client side", () => {
    const batch = encodeRecordBatch({ baseOffset: 9n, records: [{ value: text("x"), timestamp: 5n }] });
    const res = encodeResponse("Fetch", 12, 3, { responses: [{ topic: "t", partitions: [{ partitionIndex: 0, highWatermark: 10n, records: batch }] }] });
    const body = decodeResponse("Fetch", 12, res.subarray(4)).body;
    const records = body.responses[0].partitions[0].records;
    expect(decodeRecordBatches(records ?? new Uint8Array(0))[0].records[0].offset).toBe(9n);
  });
});
