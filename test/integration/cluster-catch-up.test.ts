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

/** The metadata quorum leader every broker among `ids` names, once they agree. */
async function agreedLeader(c: TestCluster, ids: number[]): Promise<number> {
  let leader: number | null | undefined;
  await eventually(async () => {
    const views = await Promise.all(ids.map(async (id) => (await get<ClusterAnswer>(c.broker(id), "/cluster")).body));
    leader = views[0].quorum?.leader;
    return leader !== null && leader !== undefined && views.every((v) => v.quorum?.leader === leader && v.controller === leader);
  }, `brokers ${ids.join(", ")} naming one quorum leader`);
  return leader as number;
}

describe("catching up on metadata", () => {
  test("a broker down while a topic is created learns it when restarted", async () => {
    // The quorum fences a broker silent for the session timeout, and a fenced broker gets
    // no new partitions (quorum-liveness.test.ts); here broker 3 is down only briefly.
    cluster = await startCluster(3, { args: ["--session-timeout-ms=60000"] });
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
    // It serves the metadata its own log holds and fetches what it missed from the quorum leader.
    await eventually(async () => (await get<{ topics: string[] }>(three, "/list-topics")).body.topics.includes("while-down"), "broker 3 learning the topic");
    expect(await get(three, "/list-topics")).toEqual({ status: 200, body: { topics: ["while-down"] } });
    // Its restart registers a new incarnation with the quorum (a change of its own, committed
    // whenever its heartbeat reaches the leader), so the version may have moved on; the
    // topics have not, and every broker agrees.
    let after: MetadataAnswer[] = [];
    await eventually(async () => {
      after = await metadataEverywhere(cluster!);
      return after.every((m) => JSON.stringify(m) === JSON.stringify(after[0]));
    }, "every broker holding one metadata version");
    for (const m of after) expect(m).toEqual(after[0]);
    expect(after[0].version).toBeGreaterThanOrEqual(before.version);
    expect(after[0].topic_partitions).toEqual(before.topic_partitions);
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

  test("with the quorum leader down the other voters elect one; the old leader catches up and follows", async () => {
    cluster = await startCluster(3);
    await allAlive(cluster);
    const first = await agreedLeader(cluster, [1, 2, 3]);
    const others = [1, 2, 3].filter((id) => id !== first);
    const old = cluster.broker(first);
    await old.stop();
    expect(await post(cluster.broker(others[1]), "/create-topic", { topic: "no-leader", partitions: 2, replication_factor: 1 })).toEqual({
      status: 200,
      body: { status: "created" },
    });
    const next = await agreedLeader(cluster, others);
    expect(others).toContain(next);
    const [ma, mb] = await Promise.all(others.map(async (id) => (await get<MetadataAnswer>(cluster!.broker(id), "/metadata")).body));
    expect(mb).toEqual(ma);
    expect(Object.keys(ma.topic_partitions)).toEqual(["no-leader"]);

    await old.start();
    await eventually(async () => (await get<MetadataAnswer>(old, "/metadata")).body.version >= ma.version, "the old leader catching up");
    expect(Object.keys((await get<MetadataAnswer>(old, "/metadata")).body.topic_partitions)).toEqual(["no-leader"]);
    // Pre-vote (KIP-996): the returning voter does not disrupt the leader the others elected.
    expect(await agreedLeader(cluster, [1, 2, 3])).toBe(next);
    // Numbering goes on from the newest version; nothing is reused.
    expect(await post(cluster.broker(others[0]), "/create-topic", { topic: "after", partitions: 1, replication_factor: 1 })).toEqual({
      status: 200,
      body: { status: "created" },
    });
    let all: MetadataAnswer[] = [];
    await eventually(async () => {
      all = await metadataEverywhere(cluster!);
      return all.every((m) => JSON.stringify(m) === JSON.stringify(all[0]));
    }, "every broker holding one metadata version");
    for (const m of all) expect(m).toEqual(all[0]);
    expect(all[0].version).toBeGreaterThan(ma.version);
    expect(Object.keys(all[0].topic_partitions).sort()).toEqual(["after", "no-leader"]);
  });
});
