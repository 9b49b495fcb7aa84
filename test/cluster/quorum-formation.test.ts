import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { placePartitions } from "../../src/broker/metadata-placement.ts";
import { decodeMetadata, MetadataStore } from "../../src/broker/metadata-store.ts";
import { seedLogFromLegacyMetadata } from "../../src/cluster/quorum-formation.ts";
import { QuorumDiskLog } from "../../src/cluster/quorum-disk-log.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test("a data dir with metadata.json and no log starts its log from that document, once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "quorum-formation-"));
  dirs.push(dir);
  const store = MetadataStore.open(dir, [{ id: 1, address: "a:1" }]);
  store.apply({ type: "create-topic", topic: "old", topicId: "old-id", partitions: placePartitions([{ id: 1, address: "a:1" }], 2), createdAt: 1 });
  store.apply({ type: "delete-topic", topic: "old" });
  store.apply({ type: "create-topic", topic: "kept", topicId: "kept-id", partitions: placePartitions([{ id: 1, address: "a:1" }], 1), createdAt: 2 });
  const logDir = join(dir, "__cluster_metadata-0");
  const lines: string[] = [];
  expect(await seedLogFromLegacyMetadata(logDir, store, (l) => lines.push(l))).toBe(true);
  expect(lines).toEqual(["Metadata log started from metadata.json (version 3) as its first snapshot"]);
  const log = QuorumDiskLog.open(logDir);
  try {
    expect(log.latestSnapshot()).toEqual({ endOffset: 3, epoch: 0 });
    expect([log.startOffset(), log.endOffset(), log.lastEpoch()]).toEqual([3, 3, 0]);
    const doc = decodeMetadata(new TextDecoder().decode(log.readSnapshot({ endOffset: 3, epoch: 0 })!));
    expect([...doc.topics.keys()]).toEqual(["kept"]);
  } finally {
    await log.close();
  }
  // A log that exists is never seeded again.
  expect(await seedLogFromLegacyMetadata(logDir, store)).toBe(false);
});

test("a new data dir (no metadata yet) starts an empty log", async () => {
  const dir = mkdtempSync(join(tmpdir(), "quorum-formation-"));
  dirs.push(dir);
  const store = MetadataStore.open(dir, []);
  expect(await seedLogFromLegacyMetadata(join(dir, "__cluster_metadata-0"), store)).toBe(false);
  expect(existsSync(join(dir, "__cluster_metadata-0"))).toBe(false);
});
