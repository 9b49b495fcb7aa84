import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, type ClusterAnswer, call, get, type MetadataAnswer, post } from "../helpers/cluster-http.ts";

/** Every broker-to-broker route needs the cluster secret; without it: 401, and nothing changes. */

const SECRET_HEADER = "x-streamnest-cluster-secret";
let cluster: TestCluster;
let secret: string;

beforeAll(async () => {
  // No broker is fenced while the machine is busy: fencing is a metadata change of its own.
  cluster = await startCluster(3, { args: ["--session-timeout-ms=60000"] });
  secret = cluster.broker(1).options.secret ?? "";
  await allAlive(cluster);
  expect((await post(cluster.broker(1), "/create-topic", { topic: "guarded", partitions: 3 })).status).toBe(200);
  expect((await post(cluster.broker(1), "/produce", { topic: "guarded", message: "only", partition: 0 })).status).toBe(200);
});
afterAll(async () => {
  await cluster?.stop();
});

const evilMetadata = {
  format: 1,
  version: 999,
  brokers: [{ id: 9, address: "evil:1" }],
  topics: [{ name: "evil", id: "x", partitions: [{ partition: 0, replicas: [9], leader: 9, leaderEpoch: 0 }], schemas: [], createdAt: 0 }],
};

const ATTEMPTS: Array<[string, string, unknown]> = [
  ["POST", "/internal/heartbeat", { id: 9, address: "evil:1", metadataVersion: 999, members: [] }],
  ["POST", "/internal/metadata", evilMetadata],
  ["GET", "/internal/metadata", undefined],
  [
    "POST",
    "/internal/controller",
    { change: { type: "create-topic", topic: "evil", topicId: "x", partitions: [{ partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 }], createdAt: 0 } },
  ],
  ["POST", "/internal/controller", { change: { type: "delete-topic", topic: "guarded" } }],
  ["POST", "/internal/partitions/produce", { calls: [{ topic: "guarded", partition: 0, messages: [{ message: "evil" }] }] }],
  ["POST", "/internal/partitions/fetch", { topic: "guarded", partition: 0, offset: 0 }],
  ["GET", "/internal/partitions/tail?topic=guarded&partition=0&offset=0", undefined],
  ["GET", "/internal/partitions/offsets?topic=guarded", undefined],
  ["GET", `/internal/partitions/offsets?topic=guarded&${SECRET_HEADER}=x`, undefined],
  ["DELETE", "/internal/metadata", undefined],
  ["GET", "/internal/no-such-route", undefined],
  ["POST", "/internal/quorum", { messages: [{ type: "begin-epoch-request", from: 9, to: 1, correlationId: 1, epoch: 99, leaderId: 9 }] }],
  ["POST", "/internal/quorum/propose", { change: { type: "delete-topic", topic: "guarded" } }],
  ["POST", "/internal/quorum/heartbeat", { id: 9, address: "evil:1", incarnation: 1 }],
  ["GET", "/internal/quorum/voters", undefined],
  ["POST", "/internal/quorum/applied", { version: 1 }],
  ["POST", "/internal", "{not json"],
];

/**
 * What every broker holds. The metadata version is kept apart: it is the quorum log's
 * committed offset, which a new quorum leader moves by its leader-change entry (a busy
 * machine can delay fetches past the fetch timeout); with the quorum epoch unchanged it
 * must not move at all.
 */
async function state(): Promise<{ held: unknown[]; versions: number[]; epochs: number[] }> {
  const views = await Promise.all(
    cluster.brokers.map(async (b) => {
      const { version, ...metadata } = (await get<MetadataAnswer>(b, "/metadata")).body;
      const status = (await get<ClusterAnswer>(b, "/cluster")).body;
      return {
        held: {
          metadata,
          topics: (await get(b, "/list-topics")).body,
          partition0: (await get(b, "/topics/guarded/partitions/0/records?offset=0")).body,
          brokers: status.brokers.map((x) => [x.id, x.address]),
        },
        version,
        epoch: status.quorum?.epoch ?? -1,
      };
    }),
  );
  return { held: views.map((v) => v.held), versions: views.map((v) => v.version), epochs: views.map((v) => v.epoch) };
}

describe("the /internal/ routes", () => {
  test("without the secret or with a wrong one every internal call is 401 and changes nothing", async () => {
    const before = await state();
    const wrongs: Array<Record<string, string>> = [{}, { [SECRET_HEADER]: "wrong" }, { [SECRET_HEADER]: `${secret}x` }, { [SECRET_HEADER]: "" }];
    for (const headers of wrongs) {
      for (const b of cluster.brokers) {
        for (const [method, path, body] of ATTEMPTS) {
          const answer = await call<{ error: string; message: string }>(b, method, path, body, headers);
          expect({ method, path, status: answer.status, error: answer.body.error }).toEqual({
            method,
            path,
            status: 401,
            error: "UNAUTHORIZED",
          });
        }
      }
    }
    const after = await state();
    expect(after.held).toEqual(before.held);
    if (after.epochs.join() === before.epochs.join()) expect(after.versions).toEqual(before.versions);
  });

  test("with the secret, the same guard lets a broker's call through", async () => {
    const voters = await get<{ id: number; directoryId: string; voters: number[]; directoryIds: Record<string, string> }>(
      cluster.broker(2),
      "/internal/quorum/voters",
      { [SECRET_HEADER]: secret },
    );
    expect([voters.status, voters.body.id, voters.body.voters, Object.keys(voters.body.directoryIds)]).toEqual([200, 2, [1, 2, 3], ["1", "2", "3"]]);
    // Each voter's data dir id (KIP-853), this broker's own among them.
    expect(voters.body.directoryIds["2"]).toBe(voters.body.directoryId);
    expect(new Set(Object.values(voters.body.directoryIds)).size).toBe(3);
    expect((await get<ClusterAnswer>(cluster.broker(2), "/cluster")).body.quorum?.voters).toEqual([1, 2, 3]);
  });

  test("a leader reports the ranges of the partitions of a topic it leads, and only those", async () => {
    const described = await get<{ partitions: Array<{ partition: number; size_bytes: number }> }>(cluster.broker(3), "/topics/guarded");
    const size0 = described.body.partitions[0].size_bytes;
    expect(size0).toBeGreaterThan(0);
    const offsets = (b: number, topic: string) => get(cluster.broker(b), `/internal/partitions/offsets?topic=${topic}`, { [SECRET_HEADER]: secret });
    // "guarded" is replicated (the default factor): each range carries its leader's high watermark.
    expect(await offsets(1, "guarded")).toEqual({
      status: 200,
      body: { topic: "guarded", partitions: [{ partition: 0, startOffset: 0, endOffset: 1, sizeBytes: size0, highWatermark: 1 }] },
    });
    expect(await offsets(2, "guarded")).toEqual({
      status: 200,
      body: { topic: "guarded", partitions: [{ partition: 1, startOffset: 0, endOffset: 0, sizeBytes: 0, highWatermark: 0 }] },
    });
    const missing = await offsets(1, "no-such-topic");
    expect([missing.status, (missing.body as { error: string }).error]).toEqual([404, "TOPIC_NOT_FOUND"]);
    const noTopic = await get<{ error: string }>(cluster.broker(1), "/internal/partitions/offsets", { [SECRET_HEADER]: secret });
    expect([noTopic.status, noTopic.body.error]).toEqual([400, "INVALID_REQUEST"]);
  });
});
