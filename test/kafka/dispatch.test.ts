import { afterEach, describe, expect, test } from "bun:test";
import { KAFKA_ERROR, supportedApiVersions } from "../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "./support/in-process.ts";

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("dispatch", () => {
  test("ApiVersions lists every declared API and no transaction API; requests count with protocol=kafka", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    const answer = await client.call("ApiVersions", 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    expect(answer.errorCode).toBe(KAFKA_ERROR.NONE);
    expect(answer.apiKeys).toEqual(supportedApiVersions());
    const keys = answer.apiKeys.map((k) => k.apiKey);
    // AddPartitionsToTxn 24, AddOffsetsToTxn 25, EndTxn 26, TxnOffsetCommit 28.
    for (const txn of [24, 25, 26, 28]) expect(keys.includes(txn)).toBe(false);
    await client.call("Metadata", 0, { topics: [] });
    client.end();
    const metrics = await running.broker.metrics.text();
    expect(metrics).toContain('streamnest_protocol_requests_total{protocol="kafka",api="ApiVersions",outcome="ok"} 1');
    expect(metrics).toContain('streamnest_protocol_requests_total{protocol="kafka",api="Metadata",outcome="ok"} 1');
  });

  test("Metadata v0 with no topics lists them all; a named unknown topic is created when allowed, refused when not", async () => {
    running = await startInProcess({ defaultPartitions: 2 });
    const client = await RawClient.connect(running.kafka.port);
    const refused = await client.call("Metadata", 4, { topics: [{ name: "maybe" }], allowAutoTopicCreation: false });
    expect(refused.topics.map((t) => [t.name, t.errorCode])).toEqual([["maybe", KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION]]);
    const created = await client.call("Metadata", 9, { topics: [{ name: "maybe" }], allowAutoTopicCreation: true });
    expect(created.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([["maybe", KAFKA_ERROR.NONE, 2]]);
    expect([created.controllerId, created.clusterId, created.brokers.map((b) => b.nodeId)]).toEqual([1, "streamnest", [1]]);
    const all = await client.call("Metadata", 0, { topics: [] });
    expect(all.topics.map((t) => t.name)).toEqual(["maybe"]);
    client.end();
  });
});
