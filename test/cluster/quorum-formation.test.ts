import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { placePartitions } from "../../src/broker/metadata-placement.ts";
import { decodeMetadata, MetadataStore } from "../../src/broker/metadata-store.ts";
import { fillDirectoryIds, seedLogFromLegacyMetadata, votersLines } from "../../src/cluster/quorum-formation.ts";
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

test("a recorded set missing directory ids takes them from other peers' records and from each voter's own answer, never replacing one", () => {
  const recorded = [{ id: 1, directoryId: "a" }, { id: 2, directoryId: null }, { id: 3, directoryId: null }];
  const views = [
    { recorded, self: { id: 1, directoryId: "a-new" } },
    { recorded: [{ id: 1, directoryId: "z" }, { id: 2, directoryId: "b" }, { id: 3, directoryId: null }], self: null },
    { recorded: null, self: { id: 3, directoryId: "c" } },
  ];
  expect(fillDirectoryIds(recorded, views)).toEqual([{ id: 1, directoryId: "a" }, { id: 2, directoryId: "b" }, { id: 3, directoryId: "c" }]);
  expect(fillDirectoryIds(recorded, [])).toEqual(recorded);
});

test("the voters line names each directory id; a voter's id on another disk says it was wiped and observes", () => {
  const voters = [{ id: 1, directoryId: "a" }, { id: 2, directoryId: "b" }, { id: 3, directoryId: null }];
  expect(votersLines(voters, { id: 1, directoryId: "a" })).toEqual(["Metadata quorum voters: 1 (directory a), 2 (directory b), 3 (directory not yet known)"]);
  expect(votersLines(voters, { id: 3, directoryId: "c" })).toEqual(["Metadata quorum voters: 1 (directory a), 2 (directory b), 3 (directory not yet known)"]);
  expect(votersLines(voters, { id: 4, directoryId: "d" })[0]).toEndWith("(this broker observes)");
  // Three voters in a cluster of five: nothing more to say.
  expect(votersLines(voters, { id: 1, directoryId: "a" }, 5)).toHaveLength(1);
  // One voter (a cluster grown from a single broker) among three brokers: said, once formed.
  expect(votersLines([{ id: 1, directoryId: "a" }], { id: 2, directoryId: "b" }, 3)).toEqual([
    "Metadata quorum voters: 1 (directory a) (this broker observes)",
    'The metadata quorum has 1 voter in a cluster of 3 brokers: losing broker 1 stops every metadata change (topics, leaders, ISR). Voters are chosen once, at formation (README: "The metadata quorum"); to have 3, form the cluster with 3 brokers started together with the same --peers.',
  ]);
  const wiped = votersLines(voters, { id: 2, directoryId: "b-new" });
  expect(wiped).toHaveLength(2);
  expect(wiped[1]).toBe(
    "Broker 2's data dir was wiped or replaced: its directory id is b-new, but the voters file records b for voter 2. " +
      "It has lost the votes and metadata log voter 2 had, so it serves as an observer: it replicates the metadata log but does not vote or count toward any majority.",
  );
});
