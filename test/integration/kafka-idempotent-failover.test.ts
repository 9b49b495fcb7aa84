import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { encodeRecordBatch, KAFKA_ERROR } from "../../src/kafka/protocol/index.ts";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, eventually, get, type MetadataAnswer, post } from "../helpers/cluster-http.ts";
import { RawClient } from "../kafka/support/in-process.ts";

/**
 * An idempotent producer across a leader change. The incident (a tester's librdkafka
 * producer, enable.idempotence=true, killing leaders): a broker that had led the
 * partition kept the producer's sequences from then, checked them before its
 * leadership, and answered the producer's batches with OUT_OF_ORDER_SEQUENCE_NUMBER, a
 * fatal error to librdkafka, which purged its queue, instead of NOT_LEADER_OR_FOLLOWER.
 */

setDefaultTimeout(120_000);

const KAFKA_LINE = /^Kafka listener on :(\d+)/m;
let cluster: TestCluster;
const clients: RawClient[] = [];

beforeAll(async () => {
  cluster = await startCluster(3, { args: ["--kafka-port=auto"] });
  await allAlive(cluster);
});
afterAll(async () => {
  for (const c of clients) c.end();
  await cluster?.stop();
});

async function kafkaClient(id: number): Promise<RawClient> {
  const client = await RawClient.connect(Number(KAFKA_LINE.exec(cluster.broker(id).output)?.[1]));
  clients.push(client);
  return client;
}

async function leaderSeenBy(id: number): Promise<number | undefined> {
  const answer = await get<MetadataAnswer>(cluster.broker(id), "/metadata").catch(() => undefined);
  return answer?.body.topic_partitions.idem?.partitions[0]?.leader;
}

function produce(client: RawClient, producerId: bigint, baseSequence: number, value: string) {
  const records = encodeRecordBatch({ producerId, producerEpoch: 0, baseSequence, records: [{ value: new TextEncoder().encode(value), timestamp: 1n }] });
  return client
    .call("Produce", 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: "idem", partitionData: [{ index: 0, records }] }] })
    .then((a) => a.responses[0].partitionResponses[0]);
}

describe("an idempotent producer and a leader that was replaced", () => {
  test("the deposed leader answers NOT_LEADER_OR_FOLLOWER, not a sequence error from what it held; the new leader takes the next batch", async () => {
    expect((await post(cluster.broker(1), "/create-topic", { topic: "idem", partitions: 1, replication_factor: 3 })).status).toBe(200);
    await eventually(async () => (await leaderSeenBy(1)) !== undefined, "partition 0 with a leader");
    const first = (await leaderSeenBy(1)) as number;
    const old = await kafkaClient(first);
    const init = await old.call("InitProducerId", 2, { transactionalId: null, transactionTimeoutMs: 1000 });
    expect(init.errorCode).toBe(KAFKA_ERROR.NONE);
    const id = init.producerId;
    for (let seq = 0; seq < 3; seq++) expect((await produce(old, id, seq, `v${seq}`)).errorCode).toBe(KAFKA_ERROR.NONE);

    // The leader pauses past its session: another broker is elected; then it wakes up.
    const other = [1, 2, 3].find((b) => b !== first) as number;
    cluster.broker(first).proc?.kill("SIGSTOP");
    try {
      await eventually(async () => ![undefined, first].includes(await leaderSeenBy(other)), "a new leader of partition 0", 30_000);
    } finally {
      cluster.broker(first).proc?.kill("SIGCONT");
    }
    const next = (await leaderSeenBy(other)) as number;
    await eventually(async () => (await leaderSeenBy(first)) === next, `broker ${first} seeing broker ${next} lead`, 30_000);

    // The producer's next batches went to the new leader (sequences 3 and 4)...
    const now = await kafkaClient(next);
    expect((await produce(now, id, 3, "v3")).errorCode).toBe(KAFKA_ERROR.NONE);
    expect((await produce(now, id, 4, "v4")).errorCode).toBe(KAFKA_ERROR.NONE);
    // ...and a batch sent to the old leader on stale metadata is sent back to the new one.
    const stale = await produce(old, id, 5, "v5");
    expect([stale.errorCode, stale.errorMessage]).toEqual([
      KAFKA_ERROR.NOT_LEADER_OR_FOLLOWER,
      `partition 0 of "idem" is led by broker ${next}, not broker ${first}`,
    ]);
    expect((await produce(now, id, 5, "v5")).errorCode).toBe(KAFKA_ERROR.NONE);
  });
});
