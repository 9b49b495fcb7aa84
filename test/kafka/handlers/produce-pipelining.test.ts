import { afterEach, describe, expect, test } from "bun:test";
import { AccessControl } from "../../../src/auth/access-control.ts";
import { ConnectionAuth } from "../../../src/kafka/connection-auth.ts";
import type { ConnectionInfo, KafkaContext, RequestSignals } from "../../../src/kafka/context.ts";
import { ClassicGroups } from "../../../src/kafka/groups/classic-groups.ts";
import { handleProduce } from "../../../src/kafka/handlers/produce.ts";
import { DecompressedGate } from "../../../src/kafka/decompressed-gate.ts";
import { ProducerStates } from "../../../src/kafka/producer-state.ts";
import { encodeRecordBatch, KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { startInProcess } from "../support/in-process.ts";

/**
 * When a Produce tells its connection that it only waits for replicas
 * (RequestSignals.appended, which lets the next request start; see connection.ts): an
 * acks=all request whose every partition was appended or refused (an idempotent
 * producer's too), and no other. Records checked one by one, acks=1 and a request
 * refused whole keep the connection's strict one-at-a-time order.
 */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const utf8 = (s: string) => new TextEncoder().encode(s);

function batch(values: string[], producerId = -1n): Uint8Array {
  return encodeRecordBatch({
    producerId,
    producerEpoch: producerId < 0n ? -1 : 0,
    baseSequence: producerId < 0n ? -1 : 0,
    records: values.map((v, i) => ({ key: null, value: utf8(v), headers: [], timestamp: 1000n, offsetDelta: i })),
  });
}

async function context(): Promise<KafkaContext> {
  running = await startInProcess();
  const { broker } = running;
  return {
    broker,
    options: { host: "127.0.0.1", port: 0, advertise: "localhost:0", maxRequestBytes: 1 << 20, maxConnections: 10, autoCreateTopics: false, defaultPartitions: 1 },
    kafkaAddressOf: () => undefined,
    producers: new ProducerStates(broker.self.id),
    decompressed: new DecompressedGate(1 << 20),
    groups: new ClassicGroups(),
    lifetime: new AbortController().signal,
    log: () => {},
    access: new AccessControl({ mode: "none", security: () => broker.security() }),
    sasl: undefined,
    countRequest: () => {},
  };
}

const conn: ConnectionInfo = { clientHost: "127.0.0.1", closed: new AbortController().signal, auth: new ConnectionAuth(false), endAfterAnswer: () => {} };

/** The signals the handler gave, in order, and the answer's error codes per partition. */
async function produce(ctx: KafkaContext, acks: number, partitions: Array<{ index: number; records: Uint8Array }>, topic = "t") {
  const said: string[] = [];
  const signals: RequestSignals = { frameDone: () => said.push("frameDone"), appended: () => said.push("appended") };
  const answer = await handleProduce(ctx, { body: { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: partitions }] }, version: 9, clientId: "t", conn, signals });
  return { said, codes: answer?.responses[0].partitionResponses.map((p) => p.errorCode) };
}

describe("a Produce says it only waits for replicas", () => {
  test("refused whole (an unknown topic): nothing appended, nothing said but frameDone", async () => {
    const ctx = await context();
    expect(await produce(ctx, -1, [{ index: 0, records: batch(["a"]) }], "missing")).toEqual({ said: ["frameDone"], codes: [KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION] });
  });

  test("acks=all, every partition appended: frameDone then appended, once, before the answer", async () => {
    const ctx = await context();
    await ctx.broker.createTopic("t", 2);
    const r = await produce(ctx, -1, [{ index: 0, records: batch(["a", "b"]) }, { index: 1, records: batch(["c"]) }]);
    expect(r).toEqual({ said: ["frameDone", "appended"], codes: [KAFKA_ERROR.NONE, KAFKA_ERROR.NONE] });
  });

  test("acks=1: the answer comes with the append, nothing said but frameDone", async () => {
    const ctx = await context();
    await ctx.broker.createTopic("t", 1);
    expect(await produce(ctx, 1, [{ index: 0, records: batch(["a"]) }])).toEqual({ said: ["frameDone"], codes: [KAFKA_ERROR.NONE] });
  });

  test("an idempotent producer's batch: appended, its sequence state recorded by then (the next batch is checked against it)", async () => {
    const ctx = await context();
    await ctx.broker.createTopic("t", 1);
    const id = ctx.producers.allocate();
    let stateWhenAppended: unknown;
    const said: string[] = [];
    const signals: RequestSignals = {
      frameDone: () => said.push("frameDone"),
      appended: () => {
        said.push("appended");
        stateWhenAppended = ctx.producers.check(id, 0, "t", 0, 0);
      },
    };
    const body = { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: "t", partitionData: [{ index: 0, records: batch(["a"], id) }] }] };
    const answer = await handleProduce(ctx, { body, version: 9, clientId: "t", conn, signals });
    expect([said, answer?.responses[0].partitionResponses.map((p) => p.errorCode)]).toEqual([["frameDone", "appended"], [KAFKA_ERROR.NONE]]);
    // Before the answer: the batch is known (a retry is a duplicate), and the next sequence is 1.
    expect(stateWhenAppended).toEqual({ kind: "duplicate", baseOffset: 0, lastOffset: 0 });
    expect(ctx.producers.check(id, 0, "t", 0, 2)).toEqual({ kind: "out-of-order", expected: 1 });
  });

  test("records checked one by one (a schema): nothing said, the request's bytes stay in use", async () => {
    const ctx = await context();
    await ctx.broker.createTopic("t", 1);
    await ctx.broker.registerSchema("t", { type: "object" });
    expect(await produce(ctx, -1, [{ index: 0, records: batch(["{}"]) }])).toEqual({ said: [], codes: [KAFKA_ERROR.NONE] });
  });

  test("one partition refused, one appended: appended (the refusal wrote nothing the next request could overtake)", async () => {
    const ctx = await context();
    await ctx.broker.createTopic("t", 1);
    const r = await produce(ctx, -1, [{ index: 0, records: batch(["a"]) }, { index: 7, records: batch(["b"]) }]);
    expect(r.said).toEqual(["frameDone", "appended"]);
    expect(r.codes).toEqual([KAFKA_ERROR.NONE, KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION]);
  });
});
