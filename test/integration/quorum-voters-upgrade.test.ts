import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * A voters file written before directory ids ({"voters": [1, 2, 3]}) still starts, and
 * every broker adopts every voter's directory id on first contact (the rule and why it is
 * safe: src/cluster/quorum/vote-rules.ts), writing them to its file.
 */

let cluster: QuorumCluster;

beforeAll(async () => {
  cluster = await startQuorumCluster(3);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const votersFile = (id: number) => join(cluster.broker(id).dataDir, "meta", "quorum-voters.json");

test("voters recorded without directory ids adopt each voter's own on first contact, on every broker", async () => {
  expect((await cluster.create(1, "before-upgrade")).body.status).toBe("created");
  const own = await Promise.all([1, 2, 3].map(async (id) => (await cluster.quorum(id))!.directory_id));
  expect(own.every((d) => typeof d === "string" && d.length > 0)).toBe(true);

  await Promise.all(cluster.brokers.map((b) => b.stop()));
  for (const id of [1, 2, 3]) writeFileSync(votersFile(id), '{"voters":[1,2,3]}\n');
  await Promise.all(cluster.brokers.map((b) => cluster.start(b.id)));
  await cluster.leader();

  const expected = { voters: [1, 2, 3], directoryIds: { "1": own[0], "2": own[1], "3": own[2] } };
  for (const id of [1, 2, 3]) {
    await untilTrue(
      `broker ${id} recording every voter's directory id`,
      async () => JSON.stringify(JSON.parse(readFileSync(votersFile(id), "utf8"))) === JSON.stringify(expected),
      20_000,
    );
    const view = (await cluster.quorum(id))!;
    expect([view.directory_id, view.wiped]).toEqual([own[id - 1]!, false]);
    expect(view.voter_status.map((v) => v.directory_id)).toEqual(own);
  }
  expect((await cluster.create(2, "after-upgrade")).body.status).toBe("created");
}, 120_000);
