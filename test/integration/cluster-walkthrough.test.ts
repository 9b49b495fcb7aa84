import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { partitionForKey } from "../../src/lib/murmur2.ts";
import { type BrokerProcess, startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, call, type ClusterAnswer, eventually, get, type MetadataAnswer, post, roundRobinLeader } from "../helpers/cluster-http.ts";

/**
 * The seed's walkthrough against a 3-broker cluster, every step through every broker:
 * one truth about topics, round-robin placement, and produce/consume through brokers
 * that do not lead the partition, byte for byte.
 */

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

const MESSAGES = [
  "hello",
  "héllo wörld 🌍 — ünïcödé",
  '{"json":true,"n":[1,2,3],"nested":{"a":null}}',
  'tab\tnewline\nquote"backslash\\ end',
  "\u0000\u0001\u001f control characters",
  "x".repeat(100_000),
];

async function activeStreams(broker: BrokerProcess): Promise<number> {
  const text = await (await fetch(`${broker.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("streamnest_active_streams "));
  return Number(line?.split(" ")[1]);
}

const nonOwners = (leader: number): BrokerProcess[] => cluster.brokers.filter((b) => b.id !== leader);

describe("a 3-broker cluster walkthrough", () => {
  test("a topic created on one broker is the same topic, placed round-robin, on every broker", async () => {
    const created = await post(cluster.broker(2), "/create-topic", { topic: "demo", partitions: 3 });
    expect(created).toEqual({ status: 200, body: { status: "created" } });
    for (const b of cluster.brokers)
      expect(await post(b, "/create-topic", { topic: "demo", partitions: 3 })).toEqual({ status: 200, body: { status: "exists" } });
    const conflict = await post<{ error: string }>(cluster.broker(3), "/create-topic", { topic: "demo", partitions: 4 });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toBe("TOPIC_EXISTS");

    const answers = await Promise.all(cluster.brokers.map((b) => get<MetadataAnswer>(b, "/metadata")));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body).toEqual(answers[0].body);
    }
    // Three replicas each (the default: min(3, brokers)), the leader first, then Kafka's replica shift.
    expect(answers[0].body.topic_partitions).toEqual({
      demo: {
        replication_factor: 3,
        min_insync_replicas: 2,
        partitions: [0, 1, 2].map((p) => ({
          partition: p,
          broker: cluster.broker(roundRobinLeader(p, 3)).address,
          leader: roundRobinLeader(p, 3),
          replicas: [0, 1, 2].map((j) => roundRobinLeader(p + j, 3)),
          isr: [0, 1, 2].map((j) => roundRobinLeader(p + j, 3)),
          leader_epoch: 0,
        })),
      },
    });
    expect(answers[0].body.brokers).toEqual(cluster.brokers.map((b) => ({ id: b.id, address: b.address })));
    for (const b of cluster.brokers) expect(await get(b, "/list-topics")).toEqual({ status: 200, body: { topics: ["demo"] } });
  });

  test("any broker describes the topic with every partition's offsets and size, asked of its leader", async () => {
    await post(cluster.broker(1), "/create-topic", { topic: "described", partitions: 3 });
    for (let p = 0; p < 3; p++)
      for (let i = 0; i <= p; i++)
        expect((await post(cluster.broker(1), "/produce", { topic: "described", message: "m", partition: p })).status).toBe(200);
    type Described = { partitions: Array<{ partition: number; leader: number; start_offset?: number; end_offset?: number; size_bytes?: number }> };
    const answers = await Promise.all(cluster.brokers.map((b) => get<Described>(b, "/topics/described")));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body.partitions.map((p) => [p.partition, p.leader, p.start_offset, p.end_offset])).toEqual(
        [0, 1, 2].map((p) => [p, roundRobinLeader(p, 3), 0, p + 1]),
      );
      for (const p of a.body.partitions) expect(p.size_bytes).toBeGreaterThan(0);
      expect(a.body).toEqual(answers[0].body);
    }
    // Later steps expect "demo" alone.
    expect((await call(cluster.broker(2), "DELETE", "/topics/described")).status).toBe(200);
  });

  test("messages produced through non-leaders are read back byte for byte through non-leaders", async () => {
    for (let p = 0; p < 3; p++) {
      const leader = roundRobinLeader(p, 3);
      const others = nonOwners(leader);
      for (let i = 0; i < MESSAGES.length; i++) {
        const ack = await post(others[i % 2], "/produce", { topic: "demo", message: MESSAGES[i], partition: p });
        expect(ack).toEqual({ status: 200, body: { offset: i, partition: p } });
      }
      for (const reader of others) {
        for (let i = 0; i < MESSAGES.length; i++) {
          const read = await get(reader, `/consume?topic=demo&partition=${p}&offset=${i}`);
          expect(read).toEqual({ status: 200, body: { offset: i, message: MESSAGES[i] } });
        }
        const past = await get(reader, `/consume?topic=demo&partition=${p}&offset=${MESSAGES.length}`);
        expect(past.status).toBe(204);
        const batch = await get<{ records: Array<{ offset: number; message: string }>; next_offset: number }>(
          reader,
          `/topics/demo/partitions/${p}/records?offset=0&max=100`,
        );
        expect(batch.status).toBe(200);
        expect(batch.body.records.map((r) => [r.offset, r.message])).toEqual(MESSAGES.map((m, i) => [i, m]));
        expect(batch.body.next_offset).toBe(MESSAGES.length);
      }
      // The leader itself holds exactly what was produced.
      const own = await get(cluster.broker(leader), `/consume?topic=demo&partition=${p}&offset=1`);
      expect(own).toEqual({ status: 200, body: { offset: 1, message: MESSAGES[1] } });
    }
  });

  test("a keyed message sent to any broker lands on the partition Kafka's partitioner picks", async () => {
    const key = "customer-42";
    const partition = partitionForKey(key, 3);
    for (const b of cluster.brokers) {
      const ack = await post<{ partition: number; offset: number }>(b, "/produce", { topic: "demo", message: `from ${b.id}`, key });
      expect(ack.status).toBe(200);
      expect(ack.body.partition).toBe(partition);
    }
    const batch = await get<{ records: Array<{ key: string; message: string }> }>(
      cluster.broker(roundRobinLeader((partition + 1) % 3, 3)),
      `/topics/demo/partitions/${partition}/records?offset=${MESSAGES.length}`,
    );
    expect(batch.body.records.map((r) => [r.key, r.message])).toEqual(cluster.brokers.map((b) => [key, `from ${b.id}`]));
  });

  test("a live tail through a non-leader delivers old and new records as the leader has them", async () => {
    const abort = new AbortController();
    const reader = cluster.broker(3); // partition 0 is led by broker 1
    const res = await fetch(`${reader.url}/topics/demo/partitions/0/records/stream?offset=4`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const stream = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    // Whole lines only: a stream may be cut anywhere on its way (a forwarding broker
    // passes on what it receives), so a line is read once its newline is in.
    const events = (): Array<{ offset: number; message: string }> =>
      [...text.matchAll(/^data: (.*)\n/gm)].map((m) => JSON.parse(m[1]) as { offset: number; message: string });
    const readUntil = async (count: number): Promise<void> => {
      while (events().length < count) {
        const { value, done } = await stream.read();
        if (done) throw new Error(`stream ended early:\n${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    const end = (await get<{ next_offset: number }>(reader, "/topics/demo/partitions/0/records?offset=0&max=1000")).body.next_offset;
    await readUntil(end - 4);
    const old = events();
    expect(old.slice(0, 2).map((e) => [e.offset, e.message])).toEqual([
      [4, MESSAGES[4]],
      [5, MESSAGES[5]],
    ]);
    expect(old.map((e) => e.offset)).toEqual(Array.from({ length: end - 4 }, (_, i) => 4 + i));
    const ack = await post(cluster.broker(2), "/produce", { topic: "demo", message: "live ✓", partition: 0 });
    expect(ack).toEqual({ status: 200, body: { offset: end, partition: 0 } });
    await readUntil(end - 4 + 1);
    expect(events().at(-1)).toMatchObject({ offset: end, message: "live ✓" });
    // Both ends hold a stream while the client listens; its leaving frees both.
    expect(await activeStreams(cluster.broker(1))).toBe(1);
    abort.abort();
    await eventually(async () => (await activeStreams(cluster.broker(1))) === 0 && (await activeStreams(reader)) === 0, "streams freed");
  });

  test("a topic deleted through one broker is gone from all; created again, it starts empty", async () => {
    expect((await post(cluster.broker(1), "/create-topic", { topic: "short-lived", partitions: 3 })).status).toBe(200);
    for (let p = 0; p < 3; p++)
      expect((await post(cluster.broker(1), "/produce", { topic: "short-lived", message: `old ${p}`, partition: p })).status).toBe(200);
    const deleted = await call(cluster.broker(3), "DELETE", "/topics/short-lived");
    expect(deleted).toEqual({ status: 200, body: { status: "deleted", topic: "short-lived" } });
    for (const b of cluster.brokers) {
      expect(await get(b, "/list-topics")).toEqual({ status: 200, body: { topics: ["demo"] } });
      expect((await get(b, "/consume?topic=short-lived&partition=0&offset=0")).status).toBe(404);
    }
    expect((await post(cluster.broker(2), "/create-topic", { topic: "short-lived", partitions: 2 })).status).toBe(200);
    for (const b of cluster.brokers)
      for (let p = 0; p < 2; p++) expect((await get(b, `/consume?topic=short-lived&partition=${p}&offset=0`)).status).toBe(204);
    const answers = await Promise.all(cluster.brokers.map((b) => get<MetadataAnswer>(b, "/metadata")));
    for (const a of answers) expect(a.body).toEqual(answers[0].body);
    expect(answers[0].body.topic_partitions["short-lived"].partitions.map((p) => p.leader)).toEqual([1, 2]);
    expect((await call(cluster.broker(2), "DELETE", "/topics/short-lived")).status).toBe(200);
  });

  test("/cluster on every broker shows all three alive, the one metadata quorum leader controlling, one metadata version", async () => {
    await allAlive(cluster);
    const answers = await Promise.all(cluster.brokers.map((b) => get<ClusterAnswer>(b, "/cluster")));
    const leader = answers[0].body.quorum?.leader;
    expect([1, 2, 3]).toContain(leader as number);
    for (const [i, { status, body }] of answers.entries()) {
      expect(status).toBe(200);
      expect(body.broker).toBe(i + 1);
      expect(body.quorum?.voters).toEqual([1, 2, 3]);
      expect(body.quorum?.leader).toBe(leader as number);
      expect(body.controller).toBe(leader as number);
      expect(body.metadata_version).toBe(answers[0].body.metadata_version);
      expect(body.brokers.map((b) => [b.id, b.address, b.alive, b.controller, b.self])).toEqual(
        cluster.brokers.map((b) => [b.id, b.address, true, b.id === leader, b.id === i + 1]),
      );
    }
  });
});
