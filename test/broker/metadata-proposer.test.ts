import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalMetadataProposer } from "../../src/broker/metadata-proposer.ts";
import { MetadataStore } from "../../src/broker/metadata-store.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("LocalMetadataProposer", () => {
  test("applies a change to its store at once and says whether it changed anything", async () => {
    const dir = mkdtempSync(join(tmpdir(), "streamnest-proposer-"));
    dirs.push(dir);
    const store = MetadataStore.open(join(dir, "meta"), [{ id: 1, address: "a:1" }]);
    const proposer = new LocalMetadataProposer(store);
    const change = {
      type: "create-topic" as const,
      topic: "t",
      topicId: "id-1",
      partitions: [{ partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 }],
      createdAt: 1,
    };
    const first = await proposer.propose(change);
    expect(first.changed).toBe(true);
    expect(first.document).toBe(store.current);
    expect(store.topic("t")?.partitions).toEqual(change.partitions);
    const version = store.version;
    const again = await proposer.propose(change);
    expect(again.changed).toBe(false);
    expect(store.version).toBe(version);
    // Persisted: a store reopened from the folder has it.
    expect(MetadataStore.open(join(dir, "meta")).topic("t")?.partitions).toEqual(change.partitions);
  });
});
