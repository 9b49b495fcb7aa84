import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BrokerCallAuth } from "../../src/auth/broker-call-auth.ts";
import { BROKER_AUTH_HEADER, INTERNAL_ROUTES } from "../../src/lib/internal-routes.ts";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, type Answer, call, type ClusterAnswer, eventually, get, post } from "../helpers/cluster-http.ts";
import { readAll, replicatedTopic } from "../helpers/replication.ts";

/**
 * Issue 14: a broker checks the id a call is signed as against what the quorum knows. A
 * process holding the right secret and cluster id that signs as broker 9 of a three-broker
 * cluster is refused every call that changes state or reads data (401 naming broker 9),
 * and cannot speak for a member on the calls open to a joining broker; the cluster goes on
 * working, and a restarted broker rejoins.
 */

const TOPIC = "members";
let cluster: TestCluster;
let secret: string;
/** What a member's signed produce wrote to partition 0, after "before". */
let fromMember = "";

beforeAll(async () => {
  // No broker is fenced while the machine is busy: fencing is a metadata change of its own.
  cluster = await startCluster(3, { args: ["--session-timeout-ms=60000"] });
  secret = cluster.broker(1).options.secret ?? "";
  await allAlive(cluster);
  expect((await post(cluster.broker(1), "/create-topic", { topic: TOPIC, partitions: 3 })).status).toBe(200);
  expect(await post(cluster.broker(1), "/produce", { topic: TOPIC, message: "before", partition: 0 })).toEqual({ status: 200, body: { offset: 0, partition: 0 } });
});
afterAll(async () => {
  await cluster?.stop();
});

const signers = new Map<number, BrokerCallAuth>();

/** A call to broker `receiver` signed as broker `sender` with the cluster's secret and id. */
function signedCall(sender: number, receiver: number, method: string, path: string, body?: unknown): Promise<Answer<{ error?: string; message?: string }>> {
  let auth = signers.get(sender);
  if (auth === undefined) signers.set(sender, (auth = new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: sender })));
  const text = body === undefined ? "" : JSON.stringify(body);
  return call(cluster.broker(receiver), method, path, body === undefined ? undefined : text, {
    [BROKER_AUTH_HEADER]: auth.signCall(receiver, method, path, text).authorization,
  });
}

const produceCall = (message: string) => ({ calls: [{ topic: TOPIC, partition: 0, messages: [{ message }] }] });
const NOT_A_MEMBER = { status: 401, error: "UNAUTHORIZED", message: 'broker 9 is not a member of cluster "streamnest"' };

/** Status, code and message of each state-changing or data-reading call signed as broker 9 to broker `receiver`. */
async function refusalsOfNine(receiver: number): Promise<Array<{ path: string; status: number; error?: string; message?: string }>> {
  const attempts: Array<[string, string, unknown]> = [
    ["POST", INTERNAL_ROUTES.produce, produceCall("from nine")],
    ["POST", INTERNAL_ROUTES.fetch, { topic: TOPIC, partition: 0, offset: 0 }],
    ["GET", `${INTERNAL_ROUTES.replicaRecords}?topic=${TOPIC}&partition=0&offset=0&max=10`, undefined],
    ["GET", `${INTERNAL_ROUTES.offsets}?topic=${TOPIC}`, undefined],
    ["GET", INTERNAL_ROUTES.stats, undefined],
    ["POST", INTERNAL_ROUTES.quorumPropose, { change: { type: "delete-topic", topic: TOPIC } }],
    ["POST", INTERNAL_ROUTES.quorumApplied, { version: 1 }],
  ];
  const out = [];
  for (const [method, path, body] of attempts) {
    const answer = await signedCall(9, receiver, method, path, body);
    out.push({ path, status: answer.status, error: answer.body.error, message: answer.body.message });
  }
  return out;
}

const expectedRefusals = (paths: string[]) => paths.map((path) => ({ path, ...NOT_A_MEMBER }));

describe("a broker id the quorum does not know", () => {
  test("is refused every call that changes state or reads data, on every broker, naming the id; a member's same call goes through", async () => {
    for (const b of cluster.brokers) {
      const answers = await refusalsOfNine(b.id);
      expect(answers).toEqual(expectedRefusals(answers.map((a) => a.path)));
    }
    const leader = (await replicatedTopic(cluster.broker(1), TOPIC)).partitions[0].leader;
    const member = [1, 2, 3].find((id) => id !== leader) as number;
    fromMember = `from member ${member}`;
    const accepted = await signedCall(member, leader, "POST", INTERNAL_ROUTES.produce, produceCall(fromMember));
    expect({ status: accepted.status, body: accepted.body as unknown }).toEqual({ status: 200, body: { results: [{ outcomes: [{ partition: 0, offset: 1 }] }] } });
  });

  test("may ask what a joining broker asks, but never speak for a member", async () => {
    const voters = await signedCall(9, 2, "GET", INTERNAL_ROUTES.quorumVoters);
    expect([voters.status, (voters.body as { voters?: number[] }).voters]).toEqual([200, [1, 2, 3]]);
    const asMember: Array<[string, unknown, string]> = [
      [INTERNAL_ROUTES.quorumHeartbeat, { id: 1, address: "127.0.0.1:1", incarnation: Date.now() }, "a broker registration names broker 1 but was signed by broker 9"],
      [INTERNAL_ROUTES.heartbeat, { id: 1, address: "127.0.0.1:1", metadataVersion: 0, members: [] }, "a heartbeat names broker 1 but was signed by broker 9"],
      [
        INTERNAL_ROUTES.quorum,
        { messages: [{ type: "begin-epoch-request", from: 1, to: 2, correlationId: 1, epoch: 99, leaderId: 1 }] },
        "a quorum begin-epoch-request names broker 1 but was signed by broker 9",
      ],
    ];
    for (const [path, body, message] of asMember) {
      const answer = await signedCall(9, 2, "POST", path, body);
      expect({ path, status: answer.status, error: answer.body.error, message: answer.body.message }).toEqual({ path, status: 401, error: "UNAUTHORIZED", message });
    }
  });

  test("changed nothing: every broker holds the topic, the two records, and knows brokers 1 to 3 only", async () => {
    for (const b of cluster.brokers) {
      expect((await readAll(b, TOPIC, 0)).map((r) => r.message)).toEqual(["before", fromMember]);
      const status = (await get<ClusterAnswer>(b, "/cluster")).body;
      expect(status.brokers.map((x) => x.id)).toEqual([1, 2, 3]);
      expect(status.quorum?.voters).toEqual([1, 2, 3]);
    }
  });
});

/** Produces one message through every broker to every partition and reads them back through every broker. */
async function roundTrip(round: string, sent: Map<number, string[]>): Promise<void> {
  for (const via of cluster.brokers)
    for (let partition = 0; partition < 3; partition++) {
      const message = `${round} via ${via.id}`;
      const offset = sent.get(partition)?.length ?? 0;
      expect(await post(via, "/produce", { topic: TOPIC, message, partition })).toEqual({ status: 200, body: { offset, partition } });
      sent.set(partition, [...(sent.get(partition) ?? []), message]);
    }
  for (const via of cluster.brokers)
    for (let partition = 0; partition < 3; partition++)
      expect([via.id, partition, (await readAll(via, TOPIC, partition)).map((r) => r.message)]).toEqual([via.id, partition, sent.get(partition) ?? []]);
}

/**
 * Every broker sees every partition of the topic with all three replicas in sync, each
 * led by its preferred replica. A restarted broker back in the ISR takes its preferred
 * leadership back (issue 12), and a produce that races that move has an unknown outcome
 * (504), not an offset: a CI run caught one doing so when only the ISR was awaited.
 */
async function fullyReplicated(): Promise<void> {
  await eventually(async () => {
    for (const b of cluster.brokers) {
      const topic = await replicatedTopic(b, TOPIC).catch(() => undefined);
      if (!topic || topic.partitions.some((p) => p.isr.length !== 3 || p.leader !== p.replicas[0])) return false;
    }
    return true;
  }, "every partition with all three replicas in sync and led by its preferred replica, on every broker", 40_000);
}

describe("the members themselves", () => {
  test("keep producing and consuming through every broker; a restarted broker rejoins and is served, broker 9 still is not", async () => {
    const sent = new Map<number, string[]>([[0, ["before", fromMember]]]);
    await roundTrip("first", sent);
    await cluster.broker(3).restart();
    await allAlive(cluster, 40_000);
    await fullyReplicated();
    await roundTrip("after the restart", sent);
    const answers = await refusalsOfNine(3);
    expect(answers).toEqual(expectedRefusals(answers.map((a) => a.path)));
  }, 120_000);
});
