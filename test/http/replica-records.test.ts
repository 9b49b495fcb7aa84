import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BrokerCallAuth } from "../../src/auth/broker-call-auth.ts";
import { BROKER_AUTH_HEADER, INTERNAL_ROUTES } from "../../src/lib/internal-routes.ts";
import { get, post } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";
import { replicatedTopic } from "../helpers/replication.ts";
import { signedInternalHeaders } from "../helpers/signed-internal-call.ts";
import { until } from "../helpers/until.ts";

/**
 * GET /internal/replicas/records on three brokers run with the Raft metadata quorum,
 * reaching each other only through fault proxies: each broker answers with its own
 * copy (what the chaos harness compares); a topic created with replication_factor 3
 * gets three replicas in raft mode too; and the followers' fetches go through the
 * proxies (the --peers addresses), so that a cut link really cuts replication.
 */

let cluster: QuorumCluster;
let secret: string;
const BIG = "x".repeat(10_000);

beforeAll(async () => {
  cluster = await startQuorumCluster(3);
  secret = cluster.brokers[0].options.secret!;
}, 90_000);
afterAll(async () => {
  await cluster?.stop();
});

const copyOf = (id: number, query: string, headers?: Record<string, string>) =>
  get<{
    broker: number;
    records: Array<{ offset: number; message: string }>;
    next_offset: number;
    log_end_offset: number;
    high_watermark: number;
    leader: number;
    replicas: number[];
    isr: number[];
    error?: string;
  }>(
    cluster.broker(id),
    `${INTERNAL_ROUTES.replicaRecords}?${query}`,
    headers ?? signedInternalHeaders(secret, id, "GET", `${INTERNAL_ROUTES.replicaRecords}?${query}`),
  );

describe("replicated topics in raft mode, through the proxies, read replica by replica", () => {
  test("create-topic with replication_factor 3 sent to the quorum leader places three replicas of each partition, all in sync", async () => {
    // The leader places a new topic's partitions again itself; it once dropped the factor there (one replica each).
    const leader = await cluster.leader();
    expect(await post(cluster.broker(leader), "/create-topic", { topic: "r", partitions: 3, replication_factor: 3 })).toEqual({
      status: 200,
      body: { status: "created" },
    });
    const topic = await until("three in-sync replicas of every partition", () => replicatedTopic(cluster.broker(1), "r"), (t) =>
      t.partitions.every((p) => p.isr.length === 3),
    );
    expect(topic.replication_factor).toBe(3);
    expect(topic.partitions.map((p) => [p.partition, [...p.replicas].sort()])).toEqual([
      [0, [1, 2, 3]],
      [1, [1, 2, 3]],
      [2, [1, 2, 3]],
    ]);
  }, 30_000);

  test("the followers fetch through the proxies: a megabyte written to the leader crosses its links to both", async () => {
    const leader = (await replicatedTopic(cluster.broker(1), "r")).partitions[0].leader;
    const followers = [1, 2, 3].filter((id) => id !== leader);
    const before = followers.map((f) => cluster.network.link(f, leader).stats().bytesToClient);
    for (let i = 0; i < 100; i++)
      expect((await post(cluster.broker(leader), "/produce", { topic: "r", partition: 0, message: `${BIG}${i}`, acks: "all" })).status).toBe(200);
    const moved = followers.map((f, i) => cluster.network.link(f, leader).stats().bytesToClient - before[i]);
    for (const bytes of moved) expect(bytes).toBeGreaterThan(1_000_000);
  }, 60_000);

  test("every broker answers with its own copy: the same 100 records, log end and high watermark", async () => {
    for (const id of [1, 2, 3]) {
      const copy = await until(`broker ${id}'s copy at its end`, () => copyOf(id, "topic=r&partition=0&offset=0&max=1000"), (c) => c.body.high_watermark === 100);
      expect(copy.status).toBe(200);
      expect(copy.body.broker).toBe(id);
      expect(copy.body.records.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(copy.body.records[99].message).toBe(`${BIG}99`);
      expect([copy.body.next_offset, copy.body.log_end_offset, copy.body.high_watermark]).toEqual([100, 100, 100]);
      expect([...copy.body.replicas].sort()).toEqual([1, 2, 3]);
    }
    const page = await copyOf(3, "topic=r&partition=0&offset=98&max=5");
    expect(page.body.records.map((r) => r.offset)).toEqual([98, 99]);
  }, 30_000);

  test("unsigned, signed with another secret, or with the secret itself in a header: 401 and no records", async () => {
    const path = `${INTERNAL_ROUTES.replicaRecords}?topic=r&partition=0`;
    const otherKey = new BrokerCallAuth({ secret: `${secret}-other`, clusterId: "streamnest", selfId: 900 });
    for (const headers of [
      {},
      { "x-streamnest-cluster-secret": secret },
      { [BROKER_AUTH_HEADER]: otherKey.signCall(1, "GET", path, "").authorization },
    ] as Record<string, string>[]) {
      const answer = await copyOf(1, "topic=r&partition=0", headers);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe("UNAUTHORIZED");
      expect(answer.body.records).toBeUndefined();
    }
  });

  test("a broker holding no replica of the partition says so; bad numbers are 400", async () => {
    expect((await post(cluster.broker(1), "/create-topic", { topic: "single", partitions: 3, replication_factor: 1 })).status).toBe(200);
    const placement = await until("single's placement on broker 1", () => replicatedTopic(cluster.broker(1), "single"), (t) => t.partitions.length === 3);
    const elsewhere = placement.partitions.find((p) => p.leader !== 1)!;
    const answer = await copyOf(1, `topic=single&partition=${elsewhere.partition}`);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: "NOT_FOUND" });
    expect((await copyOf(1, "topic=r&partition=-1")).status).toBe(400);
    expect((await copyOf(1, "topic=r&partition=0&max=0")).body.error).toBe("INVALID_REQUEST");
    expect((await copyOf(1, "topic=nope&partition=0")).body.error).toBe("TOPIC_NOT_FOUND");
  }, 30_000);
});
