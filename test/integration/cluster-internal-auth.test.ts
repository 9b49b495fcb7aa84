import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BrokerCallAuth } from "../../src/auth/broker-call-auth.ts";
import { decodeFetchAnswer, encodeFetchRequest } from "../../src/cluster/replication/fetch-wire.ts";
import { BROKER_AUTH_HEADER, BROKER_SIGNATURE_HEADER } from "../../src/lib/internal-routes.ts";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, type ClusterAnswer, call, get, type MetadataAnswer, post } from "../helpers/cluster-http.ts";

/**
 * Every broker-to-broker route needs a call signed by a broker of this cluster, for this
 * broker, fresh and new; anything else (no signature, the old secret header even with the
 * right secret, another key, another cluster id, another receiver, a stale timestamp, a
 * replay, a signature over another body): 401, and nothing changes.
 */

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
  ["POST", "/internal/replication/fetch", "not a fetch"],
  ["GET", "/internal/replication/channel", undefined],
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
  test("without a valid signature every internal call is 401 and changes nothing", async () => {
    const before = await state();
    const text = (body: unknown): string => (body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body));
    const signedBy = (auth: BrokerCallAuth, receiver: number, method: string, path: string, body: unknown): Record<string, string> => ({
      [BROKER_AUTH_HEADER]: auth.signCall(receiver, method, path, text(body)).authorization,
    });
    const member = (id: number) => new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: id });
    const wrongs: Array<(receiver: number, method: string, path: string, body: unknown) => Record<string, string>> = [
      () => ({}),
      // The secret itself is no credential any more: it never crosses the wire.
      () => ({ [SECRET_HEADER]: secret }),
      () => ({ [BROKER_AUTH_HEADER]: "" }),
      () => ({ [BROKER_AUTH_HEADER]: "StreamNest-HMAC-SHA256 cluster=streamnest" }),
      (r, m, p, b) => signedBy(new BrokerCallAuth({ secret: `${secret}x`, clusterId: "streamnest", selfId: 2 }), r, m, p, b),
      // The right secret, but another cluster: refused by cluster id.
      (r, m, p, b) => signedBy(new BrokerCallAuth({ secret, clusterId: "other-cluster", selfId: 2 }), r, m, p, b),
      // Signed for another broker.
      (r, m, p, b) => signedBy(member(9), r === 1 ? 2 : 1, m, p, b),
      // Too old.
      (r, m, p, b) => signedBy(new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: 9, now: () => Date.now() - 60_000 }), r, m, p, b),
      // Over another body or path than the one sent.
      (r, m, p) => signedBy(member(9), r, m, p, { other: "body" }),
      (r, m, _p, b) => signedBy(member(9), r, m, "/internal/other", b),
    ];
    for (const wrong of wrongs) {
      for (const b of cluster.brokers) {
        for (const [method, path, body] of ATTEMPTS) {
          const headers = wrong(b.id, method, path, body);
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

  test("a signed call goes through once, with a signed answer; the same call again is a replay (401)", async () => {
    const auth = new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: 9 });
    const signed = auth.signCall(2, "GET", "/internal/quorum/voters", "");
    const first = await fetch(`${cluster.broker(2).url}/internal/quorum/voters`, { headers: { [BROKER_AUTH_HEADER]: signed.authorization } });
    expect(first.status).toBe(200);
    const text = await first.text();
    auth.verifyAnswer(2, signed.nonce, 200, text, first.headers.get(BROKER_SIGNATURE_HEADER));
    expect(() => auth.verifyAnswer(1, signed.nonce, 200, text, first.headers.get(BROKER_SIGNATURE_HEADER))).toThrow("does not verify");
    const voters = JSON.parse(text) as { id: number; directoryId: string; voters: number[]; directoryIds: Record<string, string> };
    expect([voters.id, voters.voters, Object.keys(voters.directoryIds)]).toEqual([2, [1, 2, 3], ["1", "2", "3"]]);
    // Each voter's data dir id (KIP-853), this broker's own among them.
    expect(voters.directoryIds["2"]).toBe(voters.directoryId);
    expect(new Set(Object.values(voters.directoryIds)).size).toBe(3);
    expect((await get<ClusterAnswer>(cluster.broker(2), "/cluster")).body.quorum?.voters).toEqual([1, 2, 3]);
    const again = await call<{ error: string; message: string }>(cluster.broker(2), "GET", "/internal/quorum/voters", undefined, {
      [BROKER_AUTH_HEADER]: signed.authorization,
    });
    expect([again.status, again.body.message]).toEqual([401, "broker request nonce was already used (replay)"]);
  });

  test("a follower's fetch is answered in its binary framing, signed; a malformed one is refused (400), signed too", async () => {
    const auth = new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: 3 });
    const path = "/internal/replication/fetch";
    const send = async (body: Uint8Array): Promise<{ status: number; bytes: Uint8Array }> => {
      const signed = auth.signCall(1, "POST", path, body);
      const res = await fetch(`${cluster.broker(1).url}${path}`, {
        method: "POST",
        headers: { [BROKER_AUTH_HEADER]: signed.authorization, "content-type": "application/octet-stream" },
        body,
      });
      const bytes = new Uint8Array(await res.arrayBuffer());
      auth.verifyAnswer(1, signed.nonce, res.status, bytes, res.headers.get(BROKER_SIGNATURE_HEADER));
      return { status: res.status, bytes };
    };
    // A topic id this leader does not hold: told so, and nothing is recorded of the fetch.
    const head = { topic: "guarded", topicId: "no-such-id", partition: 0, replica: 3, fetchOffset: 0, lastFetchedEpoch: null, leaderEpoch: 0, maxWaitMs: 0 };
    const answered = await send(encodeFetchRequest(head));
    expect(answered.status).toBe(200);
    const { head: said, chunk } = decodeFetchAnswer(answered.bytes);
    expect([said.verdict.kind, chunk.count]).toEqual(["not-leader", 0]);
    const refused = await send(new Uint8Array([0, 0]));
    expect([refused.status, JSON.parse(new TextDecoder().decode(refused.bytes))]).toEqual([
      400,
      { error: "INVALID_REQUEST", message: "replication frame too short" },
    ]);
  });

  test("a leader reports the ranges of the partitions of a topic it leads, and only those", async () => {
    const described = await get<{ partitions: Array<{ partition: number; size_bytes: number }> }>(cluster.broker(3), "/topics/guarded");
    const size0 = described.body.partitions[0].size_bytes;
    expect(size0).toBeGreaterThan(0);
    // Signed as a member: the ranges are data, served to a broker the quorum knows only.
    const auth = new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: 3 });
    const signedGet = (b: number, path: string) => get(cluster.broker(b), path, { [BROKER_AUTH_HEADER]: auth.signCall(b, "GET", path, "").authorization });
    const offsets = (b: number, topic: string) => signedGet(b, `/internal/partitions/offsets?topic=${topic}`);
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
    const noTopic = (await signedGet(1, "/internal/partitions/offsets")) as { status: number; body: { error: string } };
    expect([noTopic.status, noTopic.body.error]).toEqual([400, "INVALID_REQUEST"]);
  });
});
