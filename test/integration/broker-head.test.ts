import { afterAll, beforeAll, expect, test } from "bun:test";
import { type BrokerProcess, startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, post } from "../helpers/cluster-http.ts";

/**
 * `curl -I` on the read routes of real brokers: GET's status and headers, no body, and
 * nothing counted as consumed, also when the partition is led by another broker.
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(2);
  await allAlive(cluster);
  expect((await post(cluster.broker(1), "/create-topic", { topic: "looks", partitions: 2 })).status).toBe(200);
  // Partition 0 is led by broker 1, partition 1 by broker 2.
  for (const partition of [0, 1])
    for (const message of ["a", "b"])
      expect((await post(cluster.broker(1), "/produce", { topic: "looks", message, partition })).status).toBe(200);
});
afterAll(async () => {
  await cluster?.stop();
});

async function consumedOn(broker: BrokerProcess): Promise<string[]> {
  const text = await (await fetch(`${broker.url}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith("streamnest_messages_consumed_total{"));
}

async function head(broker: BrokerProcess, path: string): Promise<{ status: number; length: string | null; type: string | null; body: string }> {
  const res = await fetch(`${broker.url}${path}`, { method: "HEAD" });
  return { status: res.status, length: res.headers.get("content-length"), type: res.headers.get("content-type"), body: await res.text() };
}

test("HEAD /consume and /records, local and forwarded, count nothing as consumed on any broker", async () => {
  const through = cluster.broker(1);
  for (const partition of [0, 1]) {
    const consume = `/consume?topic=looks&partition=${partition}&offset=0`;
    const records = `/topics/looks/partitions/${partition}/records?offset=0`;
    const consumeHead = await head(through, consume);
    expect(consumeHead).toEqual({ status: 200, length: String('{"offset":0,"message":"a"}'.length), type: "application/json", body: "" });
    const recordsHead = await head(through, records);
    expect([recordsHead.status, recordsHead.type, recordsHead.body]).toEqual([200, "application/json", ""]);
    expect((await head(through, `/consume?topic=looks&partition=${partition}&offset=2`)).status).toBe(204);
    expect((await head(through, `/consume?topic=looks&partition=${partition}&offset=-1`)).status).toBe(400);
    expect((await head(through, `/topics/looks/partitions/${partition}/records?offset=3`)).status).toBe(400);
    const stream = await head(through, `/topics/looks/partitions/${partition}/records/stream?offset=0`);
    expect([stream.status, stream.type, stream.body]).toEqual([200, "text/event-stream", ""]);
  }
  expect(await consumedOn(cluster.broker(1))).toEqual([]);
  expect(await consumedOn(cluster.broker(2))).toEqual([]);

  // A GET through broker 1 of broker 2's partition is counted where it is read.
  const got = await fetch(`${through.url}/topics/looks/partitions/1/records?offset=0`);
  expect(((await got.json()) as { records: unknown[] }).records.length).toBe(2);
  expect(await consumedOn(cluster.broker(2))).toEqual(['streamnest_messages_consumed_total{topic="looks"} 2']);
  expect(await consumedOn(cluster.broker(1))).toEqual([]);
});
