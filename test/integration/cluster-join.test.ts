import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerProcess, startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, type ClusterAnswer, eventually, get, type MetadataAnswer, post } from "../helpers/cluster-http.ts";

/**
 * A broker started elsewhere with --peers naming one member joins the cluster the same
 * way; --advertise sets the address the others and the clients are given for it.
 */

let cluster: TestCluster;
let four: BrokerProcess;
let dataDir: string;

beforeAll(async () => {
  cluster = await startCluster(3);
  await allAlive(cluster);
  dataDir = mkdtempSync(join(tmpdir(), "streamnest-join-"));
  // Port 0 in --advertise stands for the port the broker picks (--port=0).
  four = new BrokerProcess(4, 0, join(dataDir, "broker-4"), [cluster.broker(1).address], {
    secret: cluster.broker(1).options.secret,
    args: ["--advertise=127.0.0.1:0"],
  });
  await four.start();
});

afterAll(async () => {
  await four?.stop();
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("joining a running cluster", () => {
  test("every member learns the newcomer and its advertised address, and it learns every member", async () => {
    const advertised = `127.0.0.1:${four.port}`;
    await eventually(async () => {
      for (const b of [...cluster.brokers, four]) {
        const view = (await get<ClusterAnswer>(b, "/cluster")).body;
        // Registered too: the quorum commits the newcomer's registration after its first
        // heartbeats, and that commit would otherwise land between the next test's reads.
        if (view.brokers.filter((x) => x.alive && x.fenced === false).length !== 4) return false;
      }
      return true;
    }, "all four alive and registered everywhere");
    const view = (await get<ClusterAnswer>(cluster.broker(2), "/cluster")).body;
    expect(view.brokers.map((b) => [b.id, b.address])).toEqual([
      ...cluster.brokers.map((b) => [b.id, b.address]),
      [4, advertised],
    ]);
    // The newcomer took the cluster's voters and observes; every broker names one leader among them.
    const leader = view.quorum?.leader;
    expect(view.quorum?.voters).toEqual([1, 2, 3]);
    expect([1, 2, 3]).toContain(leader as number);
    expect(view.controller).toBe(leader as number);
    await eventually(async () => (await get<ClusterAnswer>(four, "/cluster")).body.quorum?.leader === leader, "the newcomer following the quorum leader");
    const fourView = (await get<ClusterAnswer>(four, "/cluster")).body;
    expect(fourView.quorum?.voters).toEqual([1, 2, 3]);
    expect(fourView.controller).toBe(leader as number);
  });

  test("new topics are placed round-robin over all four, and calls through the newcomer reach every leader", async () => {
    expect((await post(four, "/create-topic", { topic: "wider", partitions: 4 })).status).toBe(200);
    const answers = await Promise.all([...cluster.brokers, four].map((b) => get<MetadataAnswer>(b, "/metadata")));
    for (const a of answers) expect(a.body).toEqual(answers[0].body);
    // Three replicas each (the default), leaders round-robin, followers the next brokers by id.
    expect(answers[0].body.topic_partitions.wider.partitions).toEqual([
      { partition: 0, broker: cluster.broker(1).address, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3], leader_epoch: 0 },
      { partition: 1, broker: cluster.broker(2).address, leader: 2, replicas: [2, 3, 4], isr: [2, 3, 4], leader_epoch: 0 },
      { partition: 2, broker: cluster.broker(3).address, leader: 3, replicas: [3, 4, 1], isr: [3, 4, 1], leader_epoch: 0 },
      { partition: 3, broker: `127.0.0.1:${four.port}`, leader: 4, replicas: [4, 1, 2], isr: [4, 1, 2], leader_epoch: 0 },
    ]);
    for (let p = 0; p < 4; p++) {
      expect(await post(four, "/produce", { topic: "wider", message: `to ${p}`, partition: p })).toEqual({
        status: 200,
        body: { offset: 0, partition: p },
      });
      expect(await get(cluster.broker(((p + 1) % 3) + 1), `/consume?topic=wider&partition=${p}&offset=0`)).toEqual({
        status: 200,
        body: { offset: 0, message: `to ${p}` },
      });
    }
  });
});
