import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StreamNestClient } from "../../src/client/index.ts";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, eventually, get, post, requestCount } from "../helpers/cluster-http.ts";
import { INTERNAL_ROUTES } from "../../src/lib/internal-routes.ts";
import { readAll, replicatedTopic } from "../helpers/replication.ts";
import { makeTestCa } from "../helpers/tls-certs.ts";

/**
 * TLS between brokers (issue 14): every call between brokers (heartbeats, the metadata
 * quorum, forwarded calls) goes over HTTPS, replication fetches over a WebSocket over TLS. With --tls-ca each
 * broker requires the others' client certificates and verifies theirs against the CA;
 * without one, against the system's CAs and the chain in its own --tls-cert file.
 */

const certs = makeTestCa();
afterAll(() => certs.remove());

describe("three brokers with mutual TLS (--tls-ca)", () => {
  let cluster: TestCluster;
  const client = certs.issue("test-client");

  beforeAll(async () => {
    const broker = certs.issue("broker");
    cluster = await startCluster(3, { tls: { ...broker, ca: certs.ca, requireClientCerts: true, client } });
    await allAlive(cluster);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test("the quorum forms over HTTPS: every broker names one leader and sees the others alive", async () => {
    const views = await Promise.all(cluster.brokers.map(async (b) => (await get<{ quorum: { leader: number } }>(b, "/cluster")).body.quorum.leader));
    expect(new Set(views).size).toBe(1);
    for (const b of cluster.brokers) expect(b.url).toStartWith("https://");
  });

  test("the typed client learns the other brokers from metadata as https:// addresses", async () => {
    const tls = { ca: readFileSync(certs.ca, "utf8"), cert: readFileSync(client.cert, "utf8"), key: readFileSync(client.key, "utf8") };
    const streamnest = new StreamNestClient(`localhost:${cluster.broker(1).port}`, { tls });
    await streamnest.metadata();
    expect([...streamnest.addresses].sort()).toEqual(cluster.brokers.map((b) => `https://localhost:${b.port}`).sort());
    expect((await streamnest.health()).status).toBe("ok");
  });

  test("a produce with replication factor 3 through one broker is replicated: read from another, and after its leader is killed", async () => {
    expect(await post(cluster.broker(1), "/create-topic", { topic: "tls-safe", partitions: 1, replication_factor: 3 })).toEqual({
      status: 200,
      body: { status: "created" },
    });
    const acked: Array<{ offset: number; key: string; message: string }> = [];
    for (let i = 0; i < 10; i++) {
      const answer = await post(cluster.broker(2), "/produce", { topic: "tls-safe", message: `m-${i}`, key: `k-${i}`, acks: "all" });
      expect(answer).toEqual({ status: 200, body: { offset: i, partition: 0 } });
      acked.push({ offset: i, key: `k-${i}`, message: `m-${i}` });
    }
    expect(await readAll(cluster.broker(3), "tls-safe", 0)).toEqual(acked);
    await eventually(async () => (await replicatedTopic(cluster.broker(3), "tls-safe")).partitions[0].isr.length === 3, "all three replicas in sync");
    const leader = (await replicatedTopic(cluster.broker(3), "tls-safe")).partitions[0].leader;
    // Fetched over the replication channel, a WebSocket over TLS (wss), not by POSTs.
    expect(await requestCount(cluster.broker(leader), "GET", INTERNAL_ROUTES.replicaChannel, 101)).toBeGreaterThanOrEqual(2);
    expect(await requestCount(cluster.broker(leader), "WS", INTERNAL_ROUTES.replicaChannel, 200)).toBeGreaterThanOrEqual(10);
    expect(await requestCount(cluster.broker(leader), "POST", INTERNAL_ROUTES.replicaFetch, 200)).toBe(0);
    await cluster.broker(leader).kill9();
    const survivor = cluster.brokers.find((b) => b.id !== leader)?.id ?? 0;
    await eventually(
      async () => {
        const p0 = (await replicatedTopic(cluster.broker(survivor), "tls-safe")).partitions[0];
        return p0.leader !== leader && p0.leader_epoch === 1;
      },
      "a new leader elected over TLS",
      30_000,
    );
    // The new leader holds every acknowledged record: they were replicated over HTTPS.
    await eventually(async () => (await readAll(cluster.broker(survivor), "tls-safe", 0)).length === acked.length, "every record readable", 20_000);
    expect(await readAll(cluster.broker(survivor), "tls-safe", 0)).toEqual(acked);
  }, 90_000);
});

describe("three brokers with TLS and no --tls-ca", () => {
  test("peers verify each other against the chain of their own certificate file; the quorum forms and a topic replicates", async () => {
    const leaf = certs.issue("chain-broker");
    // A certificate file that carries its issuing CA after the leaf, as a full-chain file does.
    const chain = join(certs.dir, "fullchain.pem");
    writeFileSync(chain, readFileSync(leaf.cert, "utf8") + readFileSync(certs.ca, "utf8"));
    const cluster = await startCluster(3, { tls: { cert: chain, key: leaf.key, ca: certs.ca } });
    try {
      await allAlive(cluster);
      expect(await post(cluster.broker(3), "/create-topic", { topic: "chain", partitions: 1, replication_factor: 3 })).toEqual({
        status: 200,
        body: { status: "created" },
      });
      expect(await post(cluster.broker(1), "/produce", { topic: "chain", message: "over https", acks: "all" })).toEqual({
        status: 200,
        body: { offset: 0, partition: 0 },
      });
      await eventually(async () => (await replicatedTopic(cluster.broker(2), "chain")).partitions[0].isr.length === 3, "all three replicas in sync");
      expect(await readAll(cluster.broker(2), "chain", 0)).toEqual([{ offset: 0, key: null, message: "over https" }]);
      // The channel's sockets trust what the HTTPS calls trust: the system's CAs and the chain in the certificate file.
      const leader = cluster.broker((await replicatedTopic(cluster.broker(2), "chain")).partitions[0].leader);
      expect(await requestCount(leader, "GET", INTERNAL_ROUTES.replicaChannel, 101)).toBeGreaterThanOrEqual(2);
      expect(await requestCount(leader, "POST", INTERNAL_ROUTES.replicaFetch, 200)).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 90_000);
});
