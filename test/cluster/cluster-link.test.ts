import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { Broker } from "../../src/broker/broker.ts";
import { BrokerCallAuth } from "../../src/auth/broker-call-auth.ts";
import { ClusterLink } from "../../src/cluster/cluster-link.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { createApp } from "../../src/http/app.ts";
import { listen } from "../../src/http/server.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import type { StoredRecord } from "../../src/storage/types.ts";
import { freePorts } from "../helpers/ports.ts";
import { rec, recs } from "../broker/records.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * Two real brokers in this process, each with its cluster link and HTTP app on a real
 * socket: the broker side of forwarding, seen from the broker's own API.
 */

interface Node {
  broker: Broker;
  link: ClusterLink;
  server: Server<unknown>;
  url: string;
}

const SECRET = "link-test-secret";
const CLUSTER_ID = "link-test";
/** Small, so that a few forwarded produces of one turn outgrow it together. */
const MAX_BODY_BYTES = 64 * 1024;
const root = mkdtempSync(join(tmpdir(), "streamnest-link-"));
const nodes: Node[] = [];

beforeAll(async () => {
  const ports = await freePorts(2);
  for (const [i, port] of ports.entries()) {
    const config = brokerConfig({
      id: i + 1,
      dataDir: join(root, `broker-${i + 1}`),
      host: "127.0.0.1",
      port,
      advertise: `localhost:${port}`,
      peers: ports.filter((p) => p !== port).map((p) => `localhost:${p}`),
      clusterSecret: SECRET,
      maxBodyBytes: MAX_BODY_BYTES,
    });
    const auth = new BrokerCallAuth({ secret: SECRET, clusterId: CLUSTER_ID, selfId: i + 1 });
    const link = new ClusterLink(config, { heartbeatIntervalMs: 50, auth });
    const broker = Broker.open(config, { ...link.brokerDeps(), warn: () => {} });
    link.attach(broker);
    const server = listen(createApp(broker, { cluster: link }), { host: "127.0.0.1", port });
    link.start();
    nodes.push({ broker, link, server, url: `http://127.0.0.1:${port}` });
  }
  await Promise.all(nodes.map((n) => n.link.node.membership.heartbeatRound()));
  // Both brokers vote in the metadata quorum; metadata changes wait for its leader.
  await untilTrue("both brokers naming one quorum leader", async () => {
    const leaders = nodes.map((n) => n.link.quorum.status().leader);
    return leaders[0] !== null && leaders[0] === leaders[1];
  }, 20_000);
  expect(await nodes[1].broker.createTopic("t", 2)).toBe("created");
});

afterAll(async () => {
  for (const n of nodes) {
    n.link.stop();
    await n.broker.close();
    n.server.stop(true);
  }
  rmSync(root, { recursive: true, force: true });
});

async function internalProduceRequests(node: Node): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith("streamnest_http_requests_total{") && l.includes('route="/internal/partitions/produce"') && l.includes('status="200"'));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

describe("ClusterLink", () => {
  test("the topic created through broker 2 is placed round-robin and known to both", () => {
    for (const n of nodes) {
      expect(n.broker.clusterMetadata().topics).toEqual([
        {
          topic: "t",
          // The default factor (3) capped at the 2 brokers: each partition on both.
          replicationFactor: 2,
          minInsyncReplicas: 2,
          partitions: [
            { partition: 0, leader: 1, broker: nodes[0].link.node.address, replicas: [1, 2], isr: [1, 2], leaderEpoch: 0 },
            { partition: 1, leader: 2, broker: nodes[1].link.node.address, replicas: [2, 1], isr: [2, 1], leaderEpoch: 0 },
          ],
        },
      ]);
    }
  });

  test("the directory finds one broker as its list of every broker has it, and no broker it does not know", () => {
    for (const n of nodes) {
      const directory = n.link.directory;
      const all = directory.brokers();
      expect(all.map((b) => b.id)).toEqual([1, 2]);
      for (const b of all) expect(directory.brokerOf?.(b.id)).toEqual(b);
      expect(directory.brokerOf?.(3)).toBeUndefined();
    }
  });

  test("produce calls for one leader in the same turn travel as one request, each with its own outcome", async () => {
    const before = await internalProduceRequests(nodes[0]);
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, i) => nodes[1].broker.produce("t", rec({ message: `m${i}`, partition: 0 }))),
    );
    expect(acks.map((a) => a.partition)).toEqual(Array(50).fill(0));
    expect(acks.map((a) => a.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await internalProduceRequests(nodes[0])).toBe(before + 1);
    const read = await nodes[0].broker.fetch({ topic: "t", partition: 0, offset: 0, maxRecords: 100 });
    expect(read.records.map((r) => new TextDecoder().decode(r.value!))).toEqual(acks.map((_, i) => `m${i}`));
  });

  test("produces of one turn that each fit the body limit, but not together, are all written", async () => {
    expect(await nodes[1].broker.createTopic("big", 2)).toBe("created");
    const partition = nodes[1].broker.clusterMetadata().topics.find((t) => t.topic === "big")?.partitions.find((p) => p.leader === 1)?.partition;
    if (partition === undefined) throw new Error("broker 1 leads no partition of topic big");
    const before = await internalProduceRequests(nodes[0]);
    const big = (i: number): string => String(i).repeat(30_000);
    // 3 x 30 kB: each fits the leader's 64 KiB limit, two fit together, all three would not.
    const acks = await Promise.all([0, 1, 2].map((i) => nodes[1].broker.produce("big", rec({ message: big(i), partition }))));
    expect(acks.map((a) => a.partition)).toEqual([partition, partition, partition]);
    expect(acks.map((a) => a.offset).sort((a, b) => a - b)).toEqual([0, 1, 2]);
    expect(await internalProduceRequests(nodes[0])).toBe(before + 2);
    const read = await nodes[0].broker.fetch({ topic: "big", partition, offset: 0, maxRecords: 10 });
    const byOffset = new Map(read.records.map((r) => [r.offset, new TextDecoder().decode(r.value!)]));
    expect(acks.map((a) => byOffset.get(a.offset))).toEqual([big(0), big(1), big(2)]);
  });

  test("a produce whose body is exactly at the limit is written through a broker that does not lead its partition", async () => {
    expect(await nodes[1].broker.createTopic("edge", 1)).toBe("created");
    const sizedTo = (build: (message: string) => object): string => {
      const bare = JSON.stringify(build(""));
      return JSON.stringify(build("z".repeat(MAX_BODY_BYTES - bare.length)));
    };
    // Partition 0 is led by broker 1; both go through broker 2.
    const single = sizedTo((message) => ({ topic: "edge", partition: 0, message }));
    const batch = sizedTo((message) => ({ topic: "edge", messages: [{ partition: 0, message }] }));
    expect([single.length, batch.length]).toEqual([MAX_BODY_BYTES, MAX_BODY_BYTES]);
    const post = (body: string) => fetch(`${nodes[1].url}/produce`, { method: "POST", body });
    const first = await post(single);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ offset: 0, partition: 0 });
    const second = await post(batch);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ results: [{ partition: 0, offset: 1 }] });
    const read = await nodes[0].broker.fetch({ topic: "edge", partition: 0, offset: 0, maxRecords: 2 });
    const expected = [JSON.parse(single).message, JSON.parse(batch).messages[0].message];
    expect(read.records.map((r) => new TextDecoder().decode(r.value!))).toEqual(expected);
  });

  test("in one forwarded batch, a call the leader refuses fails alone", async () => {
    const leader = { id: 1, address: nodes[0].link.node.address };
    const [good, bad] = await Promise.allSettled([
      nodes[1].link.peers.produce(leader, "t", 0, recs([{ message: "fine", partition: 0 }])),
      nodes[1].link.peers.produce(leader, "no-such-topic", 0, recs([{ message: "lost", partition: 0 }])),
    ]);
    expect(good).toEqual({ status: "fulfilled", value: [{ partition: 0, offset: 50 }] });
    expect(bad.status).toBe("rejected");
    const error = (bad as PromiseRejectedResult).reason as StreamNestError;
    expect(error).toBeInstanceOf(StreamNestError);
    expect(error.code).toBe("TOPIC_NOT_FOUND");
  });

  test("a forwarded call is never forwarded again: a broker that does not lead the partition refuses it", async () => {
    const sent = JSON.stringify({ calls: [{ topic: "t", partition: 1, messages: [{ message: "bounce" }] }] });
    const seven = new BrokerCallAuth({ secret: SECRET, clusterId: CLUSTER_ID, selfId: 7 });
    const signed = seven.signCall(1, "POST", "/internal/partitions/produce", sent);
    const res = await fetch(`${nodes[0].url}/internal/partitions/produce`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-streamnest-broker-auth": signed.authorization },
      body: sent,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: Array<{ outcomes: Array<{ error: string; message: string }> }> };
    expect(body.results[0].outcomes[0].error).toBe("LEADER_UNAVAILABLE");
    expect(body.results[0].outcomes[0].message).toContain("was forwarded here by broker 7");
    expect((await nodes[1].broker.fetch({ topic: "t", partition: 1, offset: 0 })).records).toEqual([]);
  });

  test("a long poll through the forwarder waits at the leader and returns the record when it arrives", async () => {
    const polling = nodes[1].broker.fetch({ topic: "t", partition: 0, offset: 51, timeoutMs: 10_000 });
    await Bun.sleep(50);
    await nodes[0].broker.produce("t", rec({ message: "awaited", partition: 0 }));
    const result = await polling;
    expect(result.records.map((r) => [r.offset, new TextDecoder().decode(r.value!)])).toEqual([[51, "awaited"]]);
    expect(result.nextOffset).toBe(52);
  });

  test("a tail through the forwarder delivers records and, once closed, frees the leader's tail", async () => {
    const abort = new AbortController();
    const tail = await nodes[1].broker.tail({ topic: "t", partition: 0, offset: 50, signal: abort.signal });
    expect(tail.startOffset).toBe(50);
    const iterator = tail.records[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect((first.value as StoredRecord[]).map((r) => r.offset)).toEqual([50, 51]);
    const activeOnLeader = async (): Promise<number> => (await nodes[0].broker.metrics.activeStreams.get()).values[0]?.value ?? 0;
    expect(await activeOnLeader()).toBe(1);
    tail.close();
    for (let i = 0; i < 200 && (await activeOnLeader()) !== 0; i++) await Bun.sleep(10);
    expect(await activeOnLeader()).toBe(0);
  });

  test("a tail from an offset past the end is refused before streaming, with the leader's error", async () => {
    const error = (await nodes[1].broker
      .tail({ topic: "t", partition: 0, offset: 999, signal: new AbortController().signal })
      .catch((e: unknown) => e)) as StreamNestError;
    expect(error).toBeInstanceOf(StreamNestError);
    expect(error.code).toBe("OFFSET_OUT_OF_RANGE");
  });

  test("a group call reaches its coordinator's /internal/groups; an unreachable one is NOT_COORDINATOR naming it", async () => {
    const leader = { id: 1, address: nodes[0].link.node.address };
    const answer = await nodes[1].link.peers.group<unknown>(leader, { op: "list" }, 0);
    expect(answer).toEqual(JSON.parse(JSON.stringify(await nodes[0].broker.groups.handle({ op: "list" }))));
    const error = (await nodes[1].link.peers
      .group({ id: 9, address: "localhost:1" }, { op: "describe", group: "g" }, 0)
      .catch((e: unknown) => e)) as StreamNestError;
    expect(error).toBeInstanceOf(StreamNestError);
    expect(error.code).toBe("NOT_COORDINATOR");
    expect(error.message).toStartWith('group "g" is coordinated by broker 9 (localhost:1), which cannot be reached');
  });

  test("/cluster lists both brokers, alive, with the metadata quorum leader as controller", async () => {
    type Answer = { controller: number; brokers: Array<{ id: number; alive: boolean; controller: boolean }>; quorum: { voters: number[]; leader: number | null } };
    const status = (await (await fetch(`${nodes[1].url}/cluster`)).json()) as Answer;
    const leader = nodes[0].link.quorum.status().leader;
    expect(status.quorum.voters).toEqual([1, 2]);
    expect(leader === 1 || leader === 2).toBe(true);
    expect(status.quorum.leader).toBe(leader);
    expect(status.controller).toBe(leader as number);
    expect(status.brokers.map((b) => [b.id, b.alive, b.controller])).toEqual([
      [1, true, leader === 1],
      [2, true, leader === 2],
    ]);
  });
});
