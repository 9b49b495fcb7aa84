import { afterAll, beforeAll, expect, test } from "bun:test";
import { get } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * A broker cut off from the quorum never makes a change alone: a follower refuses within
 * 5 s with 503 NOT_CONTROLLER saying a majority is needed; an isolated leader that took
 * a change it cannot commit says the outcome is unknown, and the change it took is never
 * seen by the others unless it was committed.
 */

let cluster: QuorumCluster;

beforeAll(async () => {
  cluster = await startQuorumCluster(3);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

test("a follower cut off from every other broker refuses a create within 5 s with NOT_CONTROLLER", async () => {
  const leader = await cluster.leader();
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  cluster.network.isolate(follower);
  // Right after the cut the follower still believes in its leader, and a change sent to
  // it then has an unknown outcome; once its fetch timeout has passed it knows better.
  await untilTrue("the cut-off follower no longer naming a leader", async () => (await cluster.quorum(follower))?.leader === null, 20_000);
  const started = Date.now();
  const answer = await cluster.create(follower, "cut-off-follower");
  const tookMs = Date.now() - started;
  cluster.network.healAll();
  expect(answer.status).toBe(503);
  expect(answer.body.error).toBe("NOT_CONTROLLER");
  expect(answer.body.message).toContain("needs a majority (2) up");
  expect(tookMs).toBeLessThan(5_500);
  await cluster.leader();
  const topics = (await get<{ topics: string[] }>(cluster.broker(leader), "/list-topics")).body.topics;
  expect(topics).not.toContain("cut-off-follower");
}, 60_000);

test("an isolated leader answers a create it cannot commit as an unknown outcome, then steps down; the others go on", async () => {
  const leader = await cluster.leader();
  cluster.network.isolate(leader);
  try {
    const answer = await cluster.create(leader, "isolated-leader");
    // It appended the change at once, as leader, and could not commit it.
    expect(answer.status).toBe(504);
    expect(answer.body.error).toBe("REQUEST_TIMED_OUT");
    expect(answer.body.message).toContain("unknown outcome");
    const others = [1, 2, 3].filter((id) => id !== leader);
    const next = await cluster.leader(others);
    expect(next).not.toBe(leader);
    expect((await cluster.create(others[0]!, "majority-side")).body.status).toBe("created");
  } finally {
    cluster.network.healAll();
  }
  // One history everywhere, without the isolated leader's change: it never reached a
  // voter, so it was never committed, and the new leader's log replaced it. (It once
  // survived the heal in one run in three: brokers dialled each other at addresses
  // learned from heartbeats, around the fault proxies, so the "isolated" leader was not;
  // membership.ts now keeps the --peers address.)
  const topicsOf = async (id: number) => (await get<{ topics: string[] }>(cluster.broker(id), "/list-topics")).body.topics.sort();
  await untilTrue(
    "every broker holding the majority side's topic and the same topics",
    async () => {
      const lists = await Promise.all([1, 2, 3].map(topicsOf));
      return lists[0]!.includes("majority-side") && lists.every((l) => JSON.stringify(l) === JSON.stringify(lists[0]));
    },
    20_000,
  );
  const settled = await topicsOf(leader);
  expect(settled).toEqual(["majority-side"]);
  await Bun.sleep(1_000);
  for (const id of [1, 2, 3]) expect(await topicsOf(id)).toEqual(settled);
}, 60_000);
