import { afterAll, beforeAll, expect, test } from "bun:test";
import { get } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * Issue 11's asymmetric partition: with only the 1<->2 link cut, brokers 1 and 2 each
 * still reach 3, and under the old "lowest alive id with a majority" rule both acted as
 * controller and one side's topics vanished on healing. With the metadata as a Raft log
 * there is one history: every create acknowledged on either side is there afterwards,
 * on every broker, in the same order.
 */

let cluster: QuorumCluster;

beforeAll(async () => {
  cluster = await startQuorumCluster(3);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

test("cutting only the 1<->2 link: creates sent to both sides make one history, none lost after healing", async () => {
  cluster.network.cutLink(1, 2);
  const acknowledged: string[] = [];
  const refused: Array<{ topic: string; status: number; error: string | undefined }> = [];
  for (let round = 0; round < 15; round++) {
    await Promise.all(
      [1, 2].map(async (via) => {
        const topic = `side-${via}-${round}`;
        const answer = await cluster.create(via, topic);
        if (answer.status === 200 && answer.body.status === "created") acknowledged.push(topic);
        else refused.push({ topic, status: answer.status, error: answer.body.error });
      }),
    );
  }
  // Every refusal is a clean one or an unknown outcome, never anything else.
  for (const r of refused) expect(["NOT_CONTROLLER", "REQUEST_TIMED_OUT"]).toContain(r.error ?? "");
  expect(acknowledged.length).toBeGreaterThan(0);

  cluster.network.healAll();
  const lists = async () =>
    Promise.all([1, 2, 3].map(async (id) => (await get<{ topics: string[] }>(cluster.broker(id), "/list-topics")).body.topics));
  await untilTrue(
    "every broker holding every acknowledged topic",
    async () => (await lists()).every((topics) => acknowledged.every((t) => topics.includes(t))),
    20_000,
  );
  // One history: all three brokers converge on the same metadata at the same version.
  await untilTrue(
    "every broker at one metadata version with one topic list",
    async () => {
      const all = await lists();
      const versions = await Promise.all([1, 2, 3].map(async (id) => (await get<{ metadata_version: number }>(cluster.broker(id), "/cluster")).body.metadata_version));
      return new Set(all.map((t) => JSON.stringify([...t].sort()))).size === 1 && new Set(versions).size === 1;
    },
    20_000,
  );
  const final = (await lists())[0];
  for (const topic of acknowledged) expect(final).toContain(topic);
}, 120_000);
