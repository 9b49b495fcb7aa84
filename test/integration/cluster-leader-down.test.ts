import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, type ClusterAnswer, eventually, get, post } from "../helpers/cluster-http.ts";

/**
 * A single-copy partition (replication_factor 1) whose leader cannot be reached answers
 * 503 LEADER_UNAVAILABLE naming the leader, whether the leader is dead (connection
 * refused) or frozen (connection taken, never answered); the other partitions carry on.
 * (A replicated partition fails over instead: replication-failover.test.ts.)
 */

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(3);
  await allAlive(cluster);
  expect((await post(cluster.broker(1), "/create-topic", { topic: "fragile", partitions: 3, replication_factor: 1 })).status).toBe(200);
  expect(await post(cluster.broker(1), "/produce", { topic: "fragile", message: "before", partition: 2 })).toEqual({
    status: 200,
    body: { offset: 0, partition: 2 },
  });
});
afterAll(async () => {
  await cluster?.stop();
});

type ErrorAnswer = { error: string; message: string };

function expectUnavailable(answer: { status: number; body: unknown }, address: string): void {
  expect(answer.status).toBe(503);
  const body = answer.body as ErrorAnswer;
  expect(body.error).toBe("LEADER_UNAVAILABLE");
  expect(body.message).toContain("broker 3");
  expect(body.message).toContain(address);
}

describe("a leader that cannot be reached", () => {
  test("a frozen leader (connection accepted, no answer) gives 503 naming it, not a hang", async () => {
    const three = cluster.broker(3);
    three.proc?.kill("SIGSTOP");
    try {
      const produced = await post(cluster.broker(1), "/produce", { topic: "fragile", message: "maybe", partition: 2 });
      // The frozen leader holds the request and may carry it out once thawed, so the
      // answer says the outcome is unknown (as a Kafka producer's request timeout does),
      // as every unknown outcome is said: 504 REQUEST_TIMED_OUT.
      expect(produced.status).toBe(504);
      const body = produced.body as ErrorAnswer & { details: unknown };
      expect(body.error).toBe("REQUEST_TIMED_OUT");
      expect(body.message).toStartWith("the outcome is unknown: ");
      expect(body.message).toContain(`broker 3 (${three.address})`);
      expect(body.message).toEndWith("; the leader may still write the message");
      expect(body.details).toMatchObject({ unknownOutcome: true, timedOut: true, leader: 3 });
      expectUnavailable(await get(cluster.broker(2), "/consume?topic=fragile&partition=2&offset=0"), three.address);
    } finally {
      three.proc?.kill("SIGCONT");
    }
    await eventually(
      async () => (await get(cluster.broker(1), "/consume?topic=fragile&partition=2&offset=0")).status === 200,
      "broker 3 serves again",
    );
    expect(await get(cluster.broker(2), "/consume?topic=fragile&partition=2&offset=0")).toEqual({
      status: 200,
      body: { offset: 0, message: "before" },
    });
  });

  test("a dead leader gives 503 naming it on every route; the other partitions carry on", async () => {
    const three = cluster.broker(3);
    await three.kill9();
    for (const via of [cluster.broker(1), cluster.broker(2)]) {
      expectUnavailable(await post(via, "/produce", { topic: "fragile", message: "x", partition: 2 }), three.address);
      expectUnavailable(await get(via, "/consume?topic=fragile&partition=2&offset=0"), three.address);
      expectUnavailable(await get(via, "/topics/fragile/partitions/2/records?offset=0"), three.address);
      expectUnavailable(await get(via, "/topics/fragile/partitions/2/records/stream?offset=0"), three.address);
    }
    for (const p of [0, 1]) {
      const ack = await post<{ partition: number }>(cluster.broker(2), "/produce", { topic: "fragile", message: `ok ${p}`, partition: p });
      expect(ack.status).toBe(200);
      expect(await get(cluster.broker(1), `/consume?topic=fragile&partition=${p}&offset=0`)).toEqual({
        status: 200,
        body: { offset: 0, message: `ok ${p}` },
      });
    }
    // Describe still answers: each reachable leader's ranges, none for the dead one's partition.
    const described = await get<{ partitions: Array<{ partition: number; end_offset?: number }> }>(cluster.broker(1), "/topics/fragile");
    expect(described.status).toBe(200);
    expect(described.body.partitions.map((p) => [p.partition, p.end_offset])).toEqual([
      [0, 1],
      [1, 1],
      [2, undefined],
    ]);
    await eventually(async () => {
      const view = (await get<ClusterAnswer>(cluster.broker(1), "/cluster")).body;
      return view.brokers.find((b) => b.id === 3)?.alive === false;
    }, "broker 1 counts broker 3 dead");
  });
});
