import { afterEach, describe, expect, test } from "bun:test";
import { APIS, encodeRecordBatch, encodeRequest, KAFKA_ERROR } from "../../src/kafka/protocol/index.ts";
import { KAFKA_LIMITS } from "../../src/config/kafka.ts";
import { RawClient, startInProcess } from "./support/in-process.ts";

/**
 * The listener against bad input: each gets the protocol's error or a closed
 * connection with a log line, and another client is served all the while.
 */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(options: Parameters<typeof startInProcess>[0] = {}) {
  running = await startInProcess(options);
  return running;
}

function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v);
  return b;
}

/** A request header v1 for (key, version, correlation id), client id "raw". */
function header(key: number, version: number, correlationId: number): Uint8Array {
  const b = new Uint8Array(2 + 2 + 4 + 2 + 3);
  const d = new DataView(b.buffer);
  d.setInt16(0, key);
  d.setInt16(2, version);
  d.setInt32(4, correlationId);
  d.setInt16(8, 3);
  b.set([0x72, 0x61, 0x77], 10);
  return b;
}

function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out.set(int32(body.length));
  out.set(body, 4);
  return out;
}

async function stillServes(port: number): Promise<void> {
  const other = await RawClient.connect(port);
  const answer = await other.call("ApiVersions", 0, {});
  expect(answer.errorCode).toBe(KAFKA_ERROR.NONE);
  other.end();
}

describe("kafka listener: bad input", () => {
  test("a frame larger than --kafka-max-request-bytes closes the connection with a log line", async () => {
    const { kafka, lines } = await start({ maxRequestBytes: 4096 });
    const client = await RawClient.connect(kafka.port);
    client.write(int32(1_000_000_000));
    expect(await client.closedWithin(5000)).toBe(true);
    expect(lines.some((l) => l.includes("exceeds the 4096-byte request limit"))).toBe(true);
    await stillServes(kafka.port);
  });

  test("a negative frame length closes the connection", async () => {
    const { kafka, lines } = await start();
    const client = await RawClient.connect(kafka.port);
    client.write(int32(-5));
    expect(await client.closedWithin(5000)).toBe(true);
    expect(lines.some((l) => l.includes("negative frame size -5"))).toBe(true);
    await stillServes(kafka.port);
  });

  test("a truncated frame waits for its rest; the client going away harms nothing", async () => {
    const { kafka } = await start();
    const client = await RawClient.connect(kafka.port);
    client.write(int32(100));
    client.write(new Uint8Array(10));
    expect(await client.closedWithin(300)).toBe(false);
    client.end();
    await stillServes(kafka.port);
  });

  test("an unknown API key closes the connection, naming the key", async () => {
    const { kafka, lines } = await start();
    const client = await RawClient.connect(kafka.port);
    client.write(frame(header(999, 0, 7)));
    expect(await client.closedWithin(5000)).toBe(true);
    expect(lines.some((l) => l.includes("API key 999") && l.includes("UNSUPPORTED_VERSION"))).toBe(true);
    await stillServes(kafka.port);
  });

  test("a request declaring more array elements than KAFKA_LIMITS.maxRequestElements closes the connection at once", async () => {
    const { kafka, lines } = await start();
    const client = await RawClient.connect(kafka.port);
    // Metadata v1 naming 100,001 topics (empty names: 2 bytes each), 200 KB.
    const count = KAFKA_LIMITS.maxRequestElements.value + 1;
    const names = new Uint8Array(4 + 2 * count);
    new DataView(names.buffer).setInt32(0, count);
    const body = new Uint8Array(13 + names.length);
    body.set(header(APIS.Metadata.key, 1, 9));
    body.set(names, 13);
    client.write(frame(body));
    expect(await client.closedWithin(10_000)).toBe(true);
    expect(lines.some((l) => l.includes("cannot read Metadata v1") && l.includes(`more than ${KAFKA_LIMITS.maxRequestElements.value} array elements`))).toBe(true);
    await stillServes(kafka.port);
  });

  test("a version not offered closes the connection; ApiVersions of one gets KIP-511's v0 answer", async () => {
    const { kafka, lines } = await start();
    const client = await RawClient.connect(kafka.port);
    client.write(frame(header(APIS.ApiVersions.key, 99, 42)));
    const answer = await client.frame();
    const d = new DataView(answer.buffer, answer.byteOffset);
    expect(d.getInt32(0)).toBe(42);
    expect(d.getInt16(4)).toBe(KAFKA_ERROR.UNSUPPORTED_VERSION);
    // One entry: ApiVersions' own range, 0 to 3.
    expect([d.getInt32(6), d.getInt16(10), d.getInt16(12), d.getInt16(14)]).toEqual([1, 18, 0, 3]);
    client.write(frame(header(APIS.Metadata.key, 99, 43)));
    expect(await client.closedWithin(5000)).toBe(true);
    expect(lines.some((l) => l.includes("Metadata v99"))).toBe(true);
  });

  test("a record batch with a wrong CRC is CORRUPT_MESSAGE and writes nothing", async () => {
    const { kafka, broker } = await start();
    const client = await RawClient.connect(kafka.port);
    const batch = encodeRecordBatch({ records: [{ value: new TextEncoder().encode("x"), timestamp: 1n }] });
    batch[batch.length - 1] ^= 0xff;
    const answer = await client.call("Produce", 7, { acks: -1, timeoutMs: 1000, topicData: [{ name: "crc", partitionData: [{ index: 0, records: batch }] }] });
    expect(answer.responses[0].partitionResponses[0].errorCode).toBe(KAFKA_ERROR.CORRUPT_MESSAGE);
    expect(broker.describeTopic("crc").partitions[0].endOffset).toBe(0);
  });

  test("answers come in request order when an earlier request waits (a long-poll fetch)", async () => {
    const { kafka } = await start();
    const client = await RawClient.connect(kafka.port);
    await client.call("Metadata", 4, { topics: [{ name: "ordered" }], allowAutoTopicCreation: true });
    client.write(
      encodeRequest("Fetch", 11, { correlationId: 100, clientId: "raw" }, {
        maxWaitMs: 300,
        minBytes: 1,
        topics: [{ topic: "ordered", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }],
      }),
    );
    client.write(encodeRequest("ApiVersions", 0, { correlationId: 101, clientId: "raw" }, {}));
    const started = Date.now();
    const first = await client.frame();
    const second = await client.frame();
    expect(new DataView(first.buffer, first.byteOffset).getInt32(0)).toBe(100);
    expect(new DataView(second.buffer, second.byteOffset).getInt32(0)).toBe(101);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  test("a client that never reads its answers stops being read; others are served", async () => {
    const { kafka } = await start();
    const client = await RawClient.connect(kafka.port);
    const request = encodeRequest("Metadata", 1, { correlationId: 1, clientId: "raw" }, { topics: null });
    client.socket.pause();
    const chunk = new Uint8Array(request.length * 1000);
    for (let i = 0; i < 1000; i++) chunk.set(request, i * request.length);
    // Writes pile up in the client once the broker stops reading it.
    let written = 0;
    const deadline = Date.now() + 20_000;
    while (client.socket.writableLength < 4 * 1024 * 1024 && Date.now() < deadline) {
      client.write(chunk);
      written += chunk.length;
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(client.socket.writableLength).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    await stillServes(kafka.port);
    client.end();
  }, 30_000);

  test("connections past --kafka-max-connections are closed with a log line", async () => {
    const { kafka, lines } = await start({ maxConnections: 1 });
    const first = await RawClient.connect(kafka.port);
    const second = await RawClient.connect(kafka.port);
    expect(await second.closedWithin(5000)).toBe(true);
    expect(lines.some((l) => l.includes("--kafka-max-connections"))).toBe(true);
    expect((await first.call("ApiVersions", 0, {})).errorCode).toBe(KAFKA_ERROR.NONE);
    first.end();
  });

  test("refused connections in a burst are logged at most once a second, with a count", async () => {
    const { kafka, lines } = await start({ maxConnections: 1 });
    const first = await RawClient.connect(kafka.port);
    const started = Date.now();
    const refused = await Promise.all(Array.from({ length: 50 }, () => RawClient.connect(kafka.port)));
    for (const c of refused) expect(await c.closedWithin(10_000)).toBe(true);
    const refusalLines = lines.filter((l) => l.includes("--kafka-max-connections"));
    // One line per second of the burst at most (the burst, however slow the machine, is counted in seconds).
    const seconds = Math.ceil((Date.now() - started) / 1000);
    expect(refusalLines.length).toBeGreaterThanOrEqual(1);
    expect(refusalLines.length).toBeLessThanOrEqual(seconds + 1);
    expect((await first.call("ApiVersions", 0, {})).errorCode).toBe(KAFKA_ERROR.NONE);
    first.end();
  });
});
