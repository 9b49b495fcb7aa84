import { afterAll, beforeAll, expect, test } from "bun:test";
import { encodeRequest } from "../../src/kafka/protocol/index.ts";
import { MAX_LOG_CHARS } from "../../src/lib/log-text.ts";
import { KafkaBroker } from "../helpers/kafka-broker.ts";
import { until } from "../helpers/until.ts";
import { RawClient } from "../kafka/support/in-process.ts";

/**
 * A client's bytes in a broker's log never forge a line or reach the reader's terminal
 * raw (lib/log-text.ts). Found by sending a real broker Kafka requests with hostile
 * values: an acks=0 Produce that fails is answered by closing the connection with a log
 * line naming the topics as the client sent them, and a topic name holding
 * "\nkafka: FORGED …" and an ANSI escape printed a second, forged line in red.
 */

let broker: KafkaBroker;

beforeAll(async () => {
  broker = await KafkaBroker.start();
});

afterAll(async () => {
  await broker?.stop();
});

test("a topic name with a line break and a terminal escape is logged escaped, on a line the broker started", async () => {
  const seen = broker.broker.output.length;
  const client = await RawClient.connect(broker.kafkaPort);
  client.write(
    encodeRequest("Produce", 7, { correlationId: 1, clientId: "probe" }, {
      acks: 0,
      timeoutMs: 100,
      topicData: [{ name: "evil\nkafka: FORGED line\u001b[31m", partitionData: [{ index: 0, records: null }] }],
    }),
  );
  // acks=0 gets no answer: a failed one closes the connection (as Kafka does), after its log line.
  expect(await client.closedWithin(10_000)).toBe(true);
  const output = await until(
    "the broker's line about closing the connection",
    async () => broker.broker.output.slice(seen),
    (text) => text.includes("an acks=0 Produce failed"),
    { timeoutMs: 10_000, context: () => broker.broker.output },
  );
  const lines = output.split("\n");
  const closing = lines.findIndex((l) => l.includes("an acks=0 Produce failed"));
  expect(lines[closing]).toContain("(evil");
  expect(lines[closing + 1]).toBe("    kafka: FORGED line\\u001b[31m[0] error 17)");
  expect(lines.some((l) => l.startsWith("kafka: FORGED"))).toBe(false);
  expect(output.includes("\u001b")).toBe(false);
  // The broker goes on serving.
  expect((await fetch(`${broker.url}/health`)).status).toBe(200);
});

test("a 200,000-character topic name (a compact string, Produce v9) makes a log line of at most MAX_LOG_CHARS, not 200 KB", async () => {
  const seen = broker.broker.output.length;
  const client = await RawClient.connect(broker.kafkaPort);
  client.write(
    encodeRequest("Produce", 9, { correlationId: 1, clientId: "probe" }, {
      acks: 0,
      timeoutMs: 100,
      topicData: [{ name: "x".repeat(200_000), partitionData: [{ index: 0, records: null }] }],
    }),
  );
  expect(await client.closedWithin(10_000)).toBe(true);
  const output = await until(
    "the broker's line about closing the connection",
    async () => broker.broker.output.slice(seen),
    (text) => text.includes("an acks=0 Produce failed"),
    { timeoutMs: 10_000, context: () => broker.broker.output.slice(seen, seen + 2000) },
  );
  const line = output.split("\n").find((l) => l.includes("an acks=0 Produce failed")) as string;
  expect(line.length).toBeLessThanOrEqual(MAX_LOG_CHARS + 40);
  expect(line).toMatch(/xxxx… \(19\d{4} more characters\)$/);
  expect((await fetch(`${broker.url}/health`)).status).toBe(200);
});
