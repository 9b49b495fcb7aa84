import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { get } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * Upgrade: data dirs written with the older controller (meta/metadata.json, no metadata
 * log) start under the quorum with that document as the log's first snapshot; nothing
 * is lost and the cluster takes changes again.
 */

let cluster: QuorumCluster;

beforeAll(async () => {
  cluster = await startQuorumCluster(3, {}, { quorum: false });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

test("a cluster run with the controller restarts under the quorum with every topic it had", async () => {
  for (let i = 0; i < 5; i++) expect((await cluster.create((i % 3) + 1, `old-${i}`, 3)).body.status).toBe("created");
  const before = (await get<{ topics: string[] }>(cluster.broker(1), "/list-topics")).body.topics.sort();
  expect(before).toEqual(["old-0", "old-1", "old-2", "old-3", "old-4"]);
  for (const b of cluster.brokers) expect(existsSync(join(b.dataDir, "meta", "__cluster_metadata-0"))).toBe(false);

  await Promise.all(cluster.brokers.map((b) => b.stop()));
  for (const b of cluster.brokers) (b.options.args as string[]).splice(0, 1, "--metadata-quorum=raft");
  await Promise.all(cluster.brokers.map((b) => cluster.start(b.id)));
  await cluster.leader();

  for (const b of cluster.brokers) {
    expect(existsSync(join(b.dataDir, "meta", "__cluster_metadata-0"))).toBe(true);
    expect(b.output).toContain("as its first snapshot");
    const topics = (await get<{ topics: string[] }>(b, "/list-topics")).body.topics.sort();
    expect(topics).toEqual(before);
  }
  expect((await cluster.create(2, "new-after-upgrade")).body.status).toBe("created");
  await untilTrue("every broker holding the new topic", async () => {
    for (const b of cluster.brokers) if (!(await get<{ topics: string[] }>(b, "/list-topics")).body.topics.includes("new-after-upgrade")) return false;
    return true;
  }, 20_000);
}, 90_000);
