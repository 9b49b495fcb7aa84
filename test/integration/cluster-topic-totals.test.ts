import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, type ClusterAnswer, eventually, get, post } from "../helpers/cluster-http.ts";

/**
 * The read-only routes the console gained, on a real 3-broker cluster: every topic's
 * totals in one answer (GET /topics?details=true) and every broker's counters and disk
 * (GET /cluster/metrics), whichever broker is asked; a broker that is down is reported,
 * not waited on. The topics keep one copy (replication_factor 1), so each partition's
 * data and counters are on its leader alone, and a dead leader's partitions go unreported.
 */

interface Totals {
  topic: string;
  partitions: number;
  replication_factor: number;
  messages: number;
  size_bytes: number;
  unreported_partitions: number;
}

interface MetricsRow {
  id: number | null;
  alive: boolean;
  error: string | null;
  metrics: { produced_total: number; consumed_total: number; produced_by_topic: Record<string, number>; disk_bytes: number; partition_logs: number } | null;
}

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(3);
  await allAlive(cluster);
});
afterAll(async () => {
  await cluster?.stop();
});

describe("topic totals and cluster metrics across brokers", () => {
  test("every broker answers the same totals, each partition counted by its leader", async () => {
    expect((await post(cluster.broker(1), "/create-topic", { topic: "spread", partitions: 3, replication_factor: 1 })).status).toBe(200);
    expect((await post(cluster.broker(2), "/create-topic", { topic: "quiet", partitions: 2, replication_factor: 1 })).status).toBe(200);
    // Partition p is led by broker p+1: two records on p0, three on p1, none on p2.
    const messages = [0, 0, 1, 1, 1].map((partition, i) => ({ message: `m${i}`, partition }));
    const produced = await post<Array<{ partition: number }>>(cluster.broker(3), "/produce", { topic: "spread", messages });
    expect(produced.status).toBe(200);
    const described = await get<{ partitions: Array<{ size_bytes: number }> }>(cluster.broker(1), "/topics/spread");
    const size = described.body.partitions.reduce((sum, p) => sum + p.size_bytes, 0);
    for (const b of cluster.brokers) {
      await eventually(async () => (await get<{ topics: string[] }>(b, "/topics")).body.topics.length === 2, `broker ${b.id} knows both topics`);
      const answer = await get<{ topics: string[]; details: Totals[] }>(b, "/topics?details=true");
      expect(answer.status).toBe(200);
      expect(answer.body.topics).toEqual(["quiet", "spread"]);
      expect(answer.body.details.map(({ topic, partitions, replication_factor, messages: n, size_bytes, unreported_partitions }) => ({ topic, partitions, replication_factor, n, size_bytes, unreported_partitions }))).toEqual([
        { topic: "quiet", partitions: 2, replication_factor: 1, n: 0, size_bytes: 0, unreported_partitions: 0 },
        { topic: "spread", partitions: 3, replication_factor: 1, n: 5, size_bytes: size, unreported_partitions: 0 },
      ]);
    }
  });

  test("GET /cluster/metrics on any broker holds every broker's counters; the sum is the cluster's", async () => {
    await get(cluster.broker(2), "/topics/spread/partitions/1/records?offset=0");
    for (const b of cluster.brokers) {
      const answer = await get<{ broker: number; brokers: MetricsRow[] }>(b, "/cluster/metrics");
      expect(answer.status).toBe(200);
      expect(answer.body.broker).toBe(b.id);
      const rows = [...answer.body.brokers].sort((x, y) => (x.id ?? 0) - (y.id ?? 0));
      expect(rows.map((r) => [r.id, r.alive, r.error, r.metrics?.produced_total, r.metrics?.consumed_total, r.metrics?.partition_logs])).toEqual([
        [1, true, null, 2, 0, 1],
        [2, true, null, 3, 3, 1],
        [3, true, null, 0, 0, 0],
      ]);
      expect(rows[0].metrics?.produced_by_topic).toEqual({ spread: 2 });
      expect(rows[1].metrics?.disk_bytes).toBeGreaterThan(0);
      expect(rows[2].metrics?.disk_bytes).toBe(0);
    }
  });

  test("a broker that is down: its partitions are unreported and its row says why, and the answers still come", async () => {
    await cluster.broker(2).kill9();
    await eventually(async () => {
      const { body } = await get<ClusterAnswer>(cluster.broker(1), "/cluster");
      return body.brokers.some((x) => x.id === 2 && !x.alive);
    }, "broker 1 sees broker 2 down");
    const totals = await get<{ details: Totals[] }>(cluster.broker(1), "/topics?details=true");
    expect(totals.status).toBe(200);
    expect(totals.body.details.find((t) => t.topic === "spread")).toMatchObject({ messages: 2, unreported_partitions: 1 });
    const metrics = await get<{ brokers: MetricsRow[] }>(cluster.broker(1), "/cluster/metrics");
    const two = metrics.body.brokers.find((r) => r.id === 2);
    expect(two?.alive).toBe(false);
    expect(two?.metrics).toBeNull();
    expect(two?.error).toContain("not asked");
    expect(metrics.body.brokers.find((r) => r.id === 1)?.metrics?.produced_total).toBe(2);
  });
});
