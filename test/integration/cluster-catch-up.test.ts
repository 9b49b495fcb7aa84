import { afterEach, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, type ClusterAnswer, eventually, get, type MetadataAnswer, post } from "../helpers/cluster-http.ts";

/**
 * A broker that missed metadata changes while down learns them on its own when it is back.
 * The topics keep one copy (replication_factor 1): what is compared is the metadata each
 * broker learned, which ISR changes of replicated partitions would move meanwhile.
 */

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function metadataEverywhere(c: TestCluster): Promise<MetadataAnswer[]> {
  const answers = await Promise.all(c.brokers.map((b) => get<MetadataAnswer>(b, "/metadata")));
  for (const a of answers) expect(a.status).toBe(200);
  return answers.map((a) => a.body);
}

describe("catching up on metadata", () => {
  test("a broker down while a topic is created learns it when restarted", async () => {
    cluster = await startCluster(3);
    await allAlive(cluster);
    const three = cluster.broker(3);
    await three.stop();
    expect(await post(cluster.broker(2), "/create-topic", { topic: "while-down", partitions: 3, replication_factor: 1 })).toEqual({
      status: 200,
      body: { status: "created" },
    });
    // Placement counts the stopped broker: it is configured, only down.
    const before = (await get<MetadataAnswer>(cluster.broker(1), "/metadata")).body;
    expect(before.topic_partitions["while-down"].partitions.map((p) => p.leader)).toEqual([1, 2, 3]);
    expect((await post(cluster.broker(2), "/produce", { topic: "while-down", message: "m0", partition: 0 })).status).toBe(200);

    await three.start();
    expect(await get(three, "/list-topics")).toEqual({ status: 200, body: { topics: ["while-down"] } });
    const after = await metadataEverywhere(cluster);
    for (const m of after) expect(m).toEqual(after[0]);
    expect(after[0].version).toBe(before.version);
    // The restarted broker serves its partition and reads the others through their leaders.
    expect(await post(three, "/produce", { topic: "while-down", message: "m2", partition: 2 })).toEqual({
      status: 200,
      body: { offset: 0, partition: 2 },
    });
    expect(await get(three, "/consume?topic=while-down&partition=0&offset=0")).toEqual({
      status: 200,
      body: { offset: 0, message: "m0" },
    });
  });

  test("with the controller down the next broker takes over; the old controller catches up and takes back", async () => {
    cluster = await startCluster(3);
    await allAlive(cluster);
    const one = cluster.broker(1);
    await one.stop();
    expect(await post(cluster.broker(3), "/create-topic", { topic: "no-controller", partitions: 2, replication_factor: 1 })).toEqual({
      status: 200,
      body: { status: "created" },
    });
    await eventually(
      async () => (await get<ClusterAnswer>(cluster!.broker(2), "/cluster")).body.controller === 2,
      "broker 2 controls",
    );
    const [m2, m3] = await Promise.all([2, 3].map(async (id) => (await get<MetadataAnswer>(cluster!.broker(id), "/metadata")).body));
    expect(m3).toEqual(m2);
    expect(Object.keys(m2.topic_partitions)).toEqual(["no-controller"]);

    await one.start();
    const back = (await get<MetadataAnswer>(one, "/metadata")).body;
    expect(back).toEqual(m2);
    await eventually(async () => {
      const views = await Promise.all(cluster!.brokers.map((b) => get<ClusterAnswer>(b, "/cluster")));
      return views.every((v) => v.body.controller === 1);
    }, "broker 1 controls again");
    // Numbering goes on from the newest version; nothing is reused.
    expect(await post(cluster.broker(2), "/create-topic", { topic: "after", partitions: 1, replication_factor: 1 })).toEqual({
      status: 200,
      body: { status: "created" },
    });
    const all = await metadataEverywhere(cluster);
    for (const m of all) expect(m).toEqual(all[0]);
    expect(all[0].version).toBeGreaterThan(m2.version);
    expect(Object.keys(all[0].topic_partitions).sort()).toEqual(["after", "no-controller"]);
  });
});
