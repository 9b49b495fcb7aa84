import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, eventually, get, post } from "../helpers/cluster-http.ts";
import { readAll, replicatedTopic } from "../helpers/replication.ts";

/**
 * Issue 12's "a lost disk is never silent" (KIP-966) on three real brokers. A broker whose
 * data dir is wiped comes back empty while the metadata still lists it as an in-sync
 * replica: it must not lead or count as in sync with nothing (its followers would
 * truncate to its empty log), but leave the ISR, copy the partition again and rejoin.
 * A partition with one replica whose only copy was wiped is offline and says so until an
 * operator accepts the loss, which brings it back empty under a new leader epoch.
 */

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
  await allAlive(cluster);
});
afterAll(async () => {
  await cluster?.stop();
});

type Refusal = { error: string; message: string; details?: Record<string, unknown> };

/** kill -9, the data dir removed, started again at once (same id, same port). */
async function wipe(id: number): Promise<void> {
  const broker = cluster.broker(id);
  await broker.kill9();
  rmSync(broker.dataDir, { recursive: true, force: true });
  await broker.start();
}

describe("replication factor 3: the wiped broker copies its partitions again before it counts", () => {
  const acked: string[] = [];

  test("its preferred partition keeps every acknowledged record, through every broker, and it leads again only once caught up", async () => {
    expect((await post(cluster.broker(1), "/create-topic", { topic: "kept", partitions: 1, replication_factor: 3 })).status).toBe(200);
    const batch = Array.from({ length: 60 }, (_, i) => ({ message: `k-${i}`, partition: 0 }));
    const answer = await post(cluster.broker(2), "/produce", { topic: "kept", messages: batch, acks: "all" });
    expect(answer.status).toBe(200);
    acked.push(...batch.map((b) => b.message));
    const before = (await replicatedTopic(cluster.broker(1), "kept")).partitions[0];
    expect(before.leader).toBe(1);

    await wipe(1);
    await cluster.broker(1).waitForOutput(`partition 0 of topic "kept": its log is not in this broker's data directory`);
    // Meanwhile, through the two others: never fewer records than were acknowledged, never another value.
    const reads: Array<{ via: number; status: number; count: number }> = [];
    await eventually(async () => {
      for (const via of [2, 3]) {
        const got = await get<{ records?: Array<{ offset: number; message: string }> }>(cluster.broker(via), "/topics/kept/partitions/0/records?offset=0&max=1000");
        if (got.status === 200) {
          expect(got.body.records!.map((r) => r.message)).toEqual(acked.slice(0, got.body.records!.length));
          reads.push({ via, status: 200, count: got.body.records!.length });
        } else reads.push({ via, status: got.status, count: -1 });
      }
      // Every broker's view: each applies the committed change at its own pace. Broker 1
      // handed its leadership away (an epoch) and took it back once caught up (another):
      // back at once, before the quorum noticed the kill, the metadata still showed it
      // leading with a full ISR while it refused reads of the copy it had lost.
      const views = await Promise.all([1, 2, 3].map(async (id) => (await replicatedTopic(cluster.broker(id), "kept")).partitions[0]));
      return views.every((p) => p.leader === 1 && p.isr.length === 3 && p.leader_epoch >= before.leader_epoch + 2);
    }, "broker 1 back in the ISR and leading kept/0", 40_000);
    expect(reads.filter((r) => r.status === 200 && r.count !== acked.length)).toEqual([]);
    for (const via of [1, 2, 3]) expect((await readAll(cluster.broker(via), "kept", 0)).map((r) => r.message)).toEqual(acked);
    // Every replica's own copy is whole again, the wiped one's too.
    for (const via of [1, 2, 3]) {
      const copy = await get<{ records: Array<{ offset: number; message: string }> }>(
        cluster.broker(via),
        "/internal/replicas/records?topic=kept&partition=0&offset=0&max=1000",
      );
      if (copy.status === 200) expect(copy.body.records.map((r) => r.message)).toEqual(acked);
    }
    const next = await post(cluster.broker(3), "/produce", { topic: "kept", message: "after", partition: 0 });
    expect(next).toEqual({ status: 200, body: { offset: acked.length, partition: 0 } });
  }, 90_000);
});

describe("replication factor 1: the wiped broker's partition is offline until the loss is accepted", () => {
  test("it says so, skips it for unkeyed produces, and comes back empty under a new leader epoch only when accepted", async () => {
    expect((await post(cluster.broker(1), "/create-topic", { topic: "single", partitions: 3, replication_factor: 1 })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await post(cluster.broker(1), "/produce", { topic: "single", message: `s-${i}`, partition: 0 })).body).toEqual({ offset: i, partition: 0 });

    await wipe(1);
    await cluster.broker(1).waitForOutput(`partition 0 of topic "single": its log is not in this broker's data directory`);
    expect(cluster.broker(1).output).toContain("POST /admin/partitions/single/0/accept-data-loss brings it back empty");
    const expectOffline = (answer: { status: number; body: unknown }): void => {
      expect(answer.status).toBe(503);
      const body = answer.body as Refusal;
      expect(body.error).toBe("LEADER_UNAVAILABLE");
      expect(body.message).toContain('partition 0 of topic "single" is offline: its data was lost on broker 1');
      expect(body.message).toContain("POST /admin/partitions/single/0/accept-data-loss");
      expect(body.details).toMatchObject({ state: "offline", leader: 1, dataLost: true });
    };
    for (const via of [1, 2, 3]) {
      expectOffline(await post(cluster.broker(via), "/produce", { topic: "single", message: "nope", partition: 0 }));
      expectOffline(await get(cluster.broker(via), "/consume?topic=single&partition=0&offset=0"));
      expectOffline(await get(cluster.broker(via), "/topics/single/partitions/0/records?offset=5"));
    }
    // Round-robin goes to the partitions that can take it.
    for (let i = 0; i < 4; i++) {
      const answer = await post<{ partition: number }>(cluster.broker(2), "/produce", { topic: "single", message: `rr-${i}` });
      expect(answer.status).toBe(200);
      expect([1, 2]).toContain(answer.body.partition);
    }
    // Restarted again, it still knows: the loss is never forgotten silently.
    await cluster.broker(1).kill9();
    await cluster.broker(1).start();
    expectOffline(await post(cluster.broker(2), "/produce", { topic: "single", message: "nope", partition: 0 }));

    // Only the leader can accept (it alone knows its copy is gone).
    const elsewhere = await post<Refusal>(cluster.broker(2), "/admin/partitions/single/0/accept-data-loss", {});
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.message).toContain('partition 0 of topic "single" is led by broker 1');
    const healthy = await post<Refusal>(cluster.broker(2), "/admin/partitions/single/1/accept-data-loss", {});
    expect(healthy.status).toBe(400);
    expect(healthy.body.message).toBe('partition 1 of topic "single" has not lost its data on this broker; nothing to accept');
    expect(await post(cluster.broker(1), "/admin/partitions/single/0/accept-data-loss", {})).toEqual({
      status: 200,
      body: { status: "accepted", topic: "single", partition: 0, leader_epoch: 1 },
    });
    expect(await post(cluster.broker(3), "/produce", { topic: "single", message: "fresh", partition: 0 })).toEqual({
      status: 200,
      body: { offset: 0, partition: 0 },
    });
    expect(await get(cluster.broker(2), "/consume?topic=single&partition=0&offset=0")).toEqual({ status: 200, body: { offset: 0, message: "fresh" } });
    // Accepted for good: a restart keeps it served.
    await cluster.broker(1).kill9();
    await cluster.broker(1).start();
    await eventually(async () => (await get(cluster.broker(2), "/consume?topic=single&partition=0&offset=0")).status === 200, "partition 0 served again", 20_000);
    expect(await get(cluster.broker(2), "/consume?topic=single&partition=0&offset=0")).toEqual({ status: 200, body: { offset: 0, message: "fresh" } });
  }, 90_000);
});
