import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BROKER_AUTH_HEADER, BROKER_SIGNATURE_HEADER } from "../../src/lib/internal-routes.ts";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, type ClusterAnswer, eventually, get, type MetadataAnswer, post } from "../helpers/cluster-http.ts";
import { type PortSquatter, sendRaw, squatPort } from "../helpers/port-squatter.ts";

/**
 * Issue 14's attack: broker 3 dies, and any local user binds its port. The brokers still
 * dialling it must give that process no secret and nothing it can replay, and nothing it
 * answers (a forged heartbeat claiming newer metadata, forged metadata) may change them.
 */

let cluster: TestCluster;
let secret: string;
let squatter: PortSquatter;
let port3: number;

const forgedMetadata = (port: number) => ({
  format: 1,
  version: 999,
  brokers: [{ id: 3, address: `localhost:${port}` }],
  topics: [{ name: "evil", id: "x", partitions: [{ partition: 0, replicas: [3], leader: 3, leaderEpoch: 0 }], schemas: [], createdAt: 0 }],
});

beforeAll(async () => {
  cluster = await startCluster(3);
  secret = cluster.broker(1).options.secret ?? "";
  expect(secret.length).toBeGreaterThan(16);
  await allAlive(cluster);
  expect((await post(cluster.broker(1), "/create-topic", { topic: "kept", partitions: 3 })).status).toBe(200);
  for (const partition of [0, 1]) expect((await post(cluster.broker(1), "/produce", { topic: "kept", message: `m${partition}`, partition })).status).toBe(200);
  port3 = cluster.broker(3).port;
  await cluster.broker(3).kill9();
  // Everything a squatter could say to look like broker 3 with newer metadata.
  squatter = squatPort(port3, (request) => {
    const fakeSignature = { [BROKER_SIGNATURE_HEADER]: "A".repeat(43) };
    if (request.path === "/health")
      return { status: 200, body: JSON.stringify({ status: "ok", id: 3, address: `localhost:${port3}`, version: "x", metadata_version: 999, topics: 1 }) };
    if (request.path.startsWith("/internal/heartbeat"))
      return {
        status: 200,
        headers: fakeSignature,
        body: JSON.stringify({ id: 3, address: `localhost:${port3}`, metadataVersion: 999, metadataFingerprint: "forged", members: [] }),
      };
    if (request.path.startsWith("/internal/metadata")) return { status: 200, headers: fakeSignature, body: JSON.stringify(forgedMetadata(port3)) };
    return { status: 200, headers: fakeSignature, body: "{}" };
  });
});
afterAll(async () => {
  squatter?.stop();
  await cluster?.stop();
});

async function state(): Promise<unknown[]> {
  return Promise.all(
    [cluster.broker(1), cluster.broker(2)].map(async (b) => ({
      topics: (await get(b, "/list-topics")).body,
      metadata: (await get<MetadataAnswer>(b, "/metadata")).body.topic_partitions,
      partition0: (await get(b, "/topics/kept/partitions/0/records?offset=0")).body,
    })),
  );
}

describe("a process squatting a dead broker's port", () => {
  test("receives signed calls but never the secret, and its forged answers neither revive broker 3 nor change metadata", async () => {
    // The quorum fences the dead broker 3 and takes it out of every ISR (its partition gets
    // a new leader): that change is the cluster's own, so it is awaited before comparing.
    await eventually(async () => {
      for (const b of [cluster.broker(1), cluster.broker(2)]) {
        const partitions = (await get<MetadataAnswer>(b, "/metadata")).body.topic_partitions.kept?.partitions ?? [];
        if (partitions.length !== 3 || partitions.some((p) => p.leader === 3 || (p.isr ?? []).includes(3))) return false;
      }
      return true;
    }, "broker 3 out of every ISR of kept on brokers 1 and 2");
    const before = await state();
    // Heartbeats go out every 500 ms: wait for several to reach the squatter.
    await eventually(() => squatter.requests.filter((r) => r.path.startsWith("/internal/")).length >= 6, "calls to reach the squatter");
    const received = squatter.received();
    const text = received.toString("latin1");
    for (const form of [secret, Buffer.from(secret).toString("base64"), Buffer.from(secret).toString("base64url"), Buffer.from(secret).toString("hex")])
      expect(text.includes(form)).toBe(false);
    expect(text).not.toContain("x-streamnest-cluster-secret");
    const internal = squatter.requests.filter((r) => r.path.startsWith("/internal/"));
    for (const r of internal) expect(r.headers[BROKER_AUTH_HEADER]).toMatch(/^StreamNest-HMAC-SHA256 cluster=streamnest,sender=[12],receiver=3,ts=\d+,nonce=[A-Za-z0-9_-]{22},sig=[A-Za-z0-9_-]{43}$/);
    // Its heartbeat answers are refused: broker 3 stays dead to both, and nothing changed.
    await Bun.sleep(1500);
    for (const b of [cluster.broker(1), cluster.broker(2)]) {
      const view = (await get<ClusterAnswer>(b, "/cluster")).body.brokers.find((x) => x.id === 3);
      expect(view?.alive).toBe(false);
    }
    expect(await state()).toEqual(before);
    expect(cluster.broker(1).output + cluster.broker(2).output).toContain("gave an answer not signed by broker 3");
  });

  test("nothing it captured can be replayed to a live broker, and its forged metadata is refused", async () => {
    const before = await state();
    const captured = squatter.requests.filter((r) => r.path.startsWith("/internal/"));
    expect(captured.length).toBeGreaterThan(0);
    for (const request of captured.slice(-6)) {
      for (const b of [cluster.broker(1), cluster.broker(2)]) {
        const answer = await sendRaw(b.port, request.raw);
        expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 401 Unauthorized");
        expect(answer).toContain("is addressed to broker 3");
      }
    }
    // Captured signatures on forged metadata: refused (a signature covers the body it was made for).
    const forged = JSON.stringify(forgedMetadata(port3));
    for (const request of captured.slice(-3)) {
      for (const b of [cluster.broker(1), cluster.broker(2)]) {
        const res = await fetch(`${b.url}/internal/metadata`, {
          method: "POST",
          headers: { "content-type": "application/json", [BROKER_AUTH_HEADER]: request.headers[BROKER_AUTH_HEADER] ?? "" },
          body: forged,
        });
        expect(res.status).toBe(401);
      }
    }
    expect(await state()).toEqual(before);
    const topics = (await get<{ topics: string[] }>(cluster.broker(1), "/list-topics")).body.topics;
    expect(topics).toEqual(["kept"]);
  });
});
