import { afterAll, beforeAll, expect, test } from "bun:test";
import { get } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * A voter whose data dir is wiped comes back under a new directory id (KIP-853): it has
 * lost its votes and its copy of the metadata log, so it must not count as the voter it
 * was. It replicates as an observer; with one other voter down, the leader and the wiped
 * broker are not a majority, so writes fail with 503 NOT_CONTROLLER instead of being
 * committed by two brokers of which only one remembers anything. Every topic committed
 * before the wipe survives.
 */

let cluster: QuorumCluster;

beforeAll(async () => {
  cluster = await startQuorumCluster(3);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const topicsOf = async (id: number) => (await get<{ topics: string[] }>(cluster.broker(id), "/list-topics")).body.topics.sort();

test("a wiped voter serves as an observer and does not count toward a majority; committed topics survive", async () => {
  const before = ["kept-a", "kept-b", "kept-c", "kept-d"];
  for (const [i, topic] of before.entries()) expect((await cluster.create((i % 3) + 1, topic, 2)).body.status).toBe("created");

  // Every voter's directory id is recorded at formation and shown by /cluster.
  const views = await Promise.all([1, 2, 3].map(async (id) => (await cluster.quorum(id))!));
  const recorded = views[0]!.voter_status.map((v) => v.directory_id);
  expect(new Set(recorded).size).toBe(3);
  for (const [i, view] of views.entries()) {
    expect(view.voter_status.map((v) => v.directory_id)).toEqual(recorded);
    expect([view.directory_id, view.wiped]).toEqual([recorded[i]!, false]);
  }

  const leader = await cluster.leader();
  const [wiped, other] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
  await cluster.wipe(wiped);
  await cluster.broker(wiped).waitForOutput(`Broker ${wiped}'s data dir was wiped or replaced`);
  expect(cluster.broker(wiped).output).toContain(`the voters file records ${recorded[wiped - 1]} for voter ${wiped}`);
  // It learns the topics back from the log, as an observer following the leader.
  await untilTrue("the wiped broker replicating every topic", async () => JSON.stringify(await topicsOf(wiped)) === JSON.stringify(before), 20_000);
  const wipedView = (await cluster.quorum(wiped))!;
  expect(wipedView.wiped).toBe(true);
  expect(wipedView.directory_id).not.toBe(recorded[wiped - 1]);
  expect(wipedView.voter_status.map((v) => v.directory_id)).toEqual(recorded);

  await cluster.broker(other).stop();
  try {
    // Right after the stop the leader still leads: a create it takes cannot commit.
    const early = await cluster.create(leader, "during-loss");
    expect(early.status === 503 || early.status === 504).toBe(true);
    expect(early.body.error === "NOT_CONTROLLER" || /unknown outcome/.test(early.body.message ?? "")).toBe(true);
    expect(await topicsOf(leader)).toEqual(before);
    // Only the wiped broker fetches from the leader, which does not count: check-quorum
    // makes the leader resign, and nobody leads.
    await untilTrue("the leader resigning", async () => (await cluster.quorum(leader))?.leader === null, 20_000);
    for (const via of [leader, wiped]) {
      const started = Date.now();
      const answer = await cluster.create(via, `no-majority-${via}`);
      expect(answer.status).toBe(503);
      expect(answer.body.error).toBe("NOT_CONTROLLER");
      expect(answer.body.message).toContain("needs a majority (2) up");
      expect(Date.now() - started).toBeLessThan(5_500);
    }
    expect(await topicsOf(leader)).toEqual(before);
  } finally {
    await cluster.start(other);
  }

  const next = await cluster.leader();
  expect(next).not.toBe(wiped);
  // The returned broker forwards the create to the leader it knows: it must know one
  // (just started, it may not yet, a retriable 503 NOT_CONTROLLER to any client).
  await untilTrue(`broker ${other} naming the quorum leader`, async () => (await cluster.quorum(other))?.leader === next, 20_000);
  // The whole answer, so that a refusal shows its code and message.
  expect((await cluster.create(other, "after-return")).body).toEqual({ status: "created" });
  for (const id of [1, 2, 3]) {
    await untilTrue(`broker ${id} holding every committed topic`, async () => (await topicsOf(id)).includes("after-return"), 20_000);
    const topics = await topicsOf(id);
    for (const topic of before) expect(topics).toContain(topic);
    expect(topics).not.toContain(`no-majority-${leader}`);
    expect(topics).not.toContain(`no-majority-${wiped}`);
  }
  expect((await cluster.quorum(wiped))!.wiped).toBe(true);
}, 180_000);
