import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { MetadataChange } from "../../src/broker/metadata.ts";
import { MetadataStore } from "../../src/broker/metadata-store.ts";
import { get } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * Upgrade: data dirs written by the release before the metadata quorum (the controller
 * kept meta/metadata.json on every broker, the same document everywhere, and no metadata
 * log) start under the quorum with that document as the log's first snapshot; nothing
 * is lost and the cluster takes changes again. The document is written here by the
 * broker's own metadata store, in the format that release wrote.
 */

const OLD_TOPICS = ["old-0", "old-1", "old-2", "old-3", "old-4"];

/** What the controller release left in a data dir: five topics of three partitions, placed round-robin. */
function writeControllerReleaseMetadata(dataDir: string): void {
  const store = MetadataStore.open(join(dataDir, "meta"));
  OLD_TOPICS.forEach((topic, i) => {
    const change: MetadataChange = {
      type: "create-topic",
      topic,
      topicId: `00000000-0000-4000-8000-00000000000${i}`,
      partitions: Array.from({ length: 3 }, (_, p) => ({ partition: p, replicas: [(p % 3) + 1], leader: (p % 3) + 1, leaderEpoch: 0 })),
      createdAt: 1_700_000_000_000 + i,
    };
    store.apply(change);
  });
}

let cluster: QuorumCluster;

beforeAll(async () => {
  cluster = await startQuorumCluster(3, {}, (dataDir) => {
    writeControllerReleaseMetadata(dataDir);
    expect(existsSync(join(dataDir, "meta", "__cluster_metadata-0"))).toBe(false);
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

test("data dirs the controller release wrote start under the quorum with every topic they had", async () => {
  for (const b of cluster.brokers) {
    expect(existsSync(join(b.dataDir, "meta", "__cluster_metadata-0"))).toBe(true);
    expect(b.output).toContain("as its first snapshot");
    const topics = (await get<{ topics: string[] }>(b, "/list-topics")).body.topics.sort();
    expect(topics).toEqual(OLD_TOPICS);
  }
  expect((await cluster.create(2, "new-after-upgrade")).body.status).toBe("created");
  await untilTrue("every broker holding the new topic", async () => {
    for (const b of cluster.brokers) if (!(await get<{ topics: string[] }>(b, "/list-topics")).body.topics.includes("new-after-upgrade")) return false;
    return true;
  }, 20_000);
}, 90_000);
