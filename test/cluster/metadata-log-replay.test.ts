import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MetadataChange } from "../../src/broker/metadata.ts";
import { placePartitions } from "../../src/broker/metadata-placement.ts";
import { METADATA_FILE, MetadataStore } from "../../src/broker/metadata-store.ts";
import { AppliedOffsetFile } from "../../src/cluster/applied-offset-file.ts";
import { encodeEntry, MetadataStateMachine } from "../../src/cluster/metadata-entries.ts";
import { openQuorumMetadata, replayCommitted, seedOpenLog } from "../../src/cluster/metadata-log-replay.ts";
import { METADATA_LOG_DIR, QuorumDiskLog } from "../../src/cluster/quorum-disk-log.ts";
import type { Entry } from "../../src/cluster/quorum/types.ts";

const BROKERS = [{ id: 1, address: "a:1" }];
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function metaDir(): string {
  const d = mkdtempSync(join(tmpdir(), "log-replay-"));
  dirs.push(d);
  return join(d, "meta");
}

const create = (topic: string): MetadataChange => ({ type: "create-topic", topic, topicId: `${topic}-id`, partitions: placePartitions(BROKERS, 2), createdAt: 1 });
const schema = (topic: string): MetadataChange => ({ type: "register-schema", topic, schema: { type: "object" }, registeredAt: 2 });
const data = (offset: number, change: MetadataChange): Entry => ({ offset, epoch: 1, kind: "data", payload: encodeEntry(`req-${offset}`, change) });
const marker = (offset: number): Entry => ({ offset, epoch: 1, kind: "leader-change", payload: new Uint8Array() });

/** A metadata log on disk holding `entries`, and `applied` recorded as the applied offset. */
async function writeLog(meta: string, entries: Entry[], applied: number): Promise<void> {
  const log = QuorumDiskLog.open(join(meta, METADATA_LOG_DIR));
  log.append(entries);
  await log.persist();
  await log.close();
  const file = AppliedOffsetFile.open(join(meta, METADATA_LOG_DIR));
  file.write(applied);
  file.close();
}

/** metadata.json as a release before the quorum left it, naming `topic`. */
function writeLegacy(meta: string, topic: string): void {
  const legacy = MetadataStore.open(meta, BROKERS);
  legacy.apply(create(topic));
}

function replay(meta: string) {
  const opened = openQuorumMetadata(meta, BROKERS);
  const machine = new MetadataStateMachine(() => opened.store, AppliedOffsetFile.open(join(meta, METADATA_LOG_DIR)));
  const reached = opened.log ? replayCommitted(opened.log, machine, AppliedOffsetFile.open(join(meta, METADATA_LOG_DIR)).offset) : 0;
  return { ...opened, machine, reached };
}

test("with a log, the store is the log's committed entries up to the applied offset, and metadata.json is neither read nor written", async () => {
  const meta = metaDir();
  writeLegacy(meta, "legacy");
  await writeLog(meta, [marker(0), data(1, create("a")), data(2, create("b")), data(3, create("c")), data(4, schema("a"))], 4);
  const { store, log, fromLog, machine, reached } = replay(meta);
  expect(fromLog).toBe(true);
  expect(reached).toBe(4);
  expect(store.version).toBe(4);
  // Entry 4 is past the applied offset: it may not be committed, so it waits for the leader.
  expect([...store.current.topics.keys()].sort()).toEqual(["a", "b", "c"]);
  expect(store.topic("a")!.schemas).toEqual([]);
  // Once the leader says it is committed, it applies on top; the entries replayed are not applied twice.
  const entries = log!.read(0, 5);
  const outcomes = machine.apply(entries, 5);
  expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true, true]);
  expect(store.topic("a")!.schemas.map((s) => s.version)).toEqual([1]);
  expect(store.version).toBe(5);
  await log!.close();
  // The legacy document is still the one the release before wrote: the store never rewrote it.
  expect(MetadataStore.open(meta, BROKERS).current.topics.has("legacy")).toBe(true);
  expect(MetadataStore.open(meta, BROKERS).version).toBe(1);
});

test("a snapshot plus the tail after it: the snapshot's topics, then the committed entries past it", async () => {
  const meta = metaDir();
  const source = MetadataStore.open(join(meta, "..", "source"), BROKERS, { writeDocument: false });
  const sourceMachine = new MetadataStateMachine(() => source);
  sourceMachine.apply([marker(0), data(1, create("s1")), data(2, create("s2"))], 3);
  const log = QuorumDiskLog.open(join(meta, METADATA_LOG_DIR));
  log.append([marker(0), data(1, create("s1")), data(2, create("s2")), data(3, create("t3")), data(4, create("t4"))]);
  log.createSnapshot({ endOffset: 3, epoch: 1 }, sourceMachine.snapshot());
  log.trimPrefix({ endOffset: 3, epoch: 1 });
  await log.persist();
  await log.close();
  const file = AppliedOffsetFile.open(join(meta, METADATA_LOG_DIR));
  file.write(5);
  file.close();
  const { store, reached, log: opened } = replay(meta);
  expect(reached).toBe(5);
  expect([...store.current.topics.keys()].sort()).toEqual(["s1", "s2", "t3", "t4"]);
  expect(store.topic("s1")).toEqual(source.topic("s1"));
  await opened!.close();
});

test("an applied offset past the log's end (the log lost committed entries) is refused, naming the log", async () => {
  const meta = metaDir();
  await writeLog(meta, [marker(0), data(1, create("a"))], 40);
  expect(() => replay(meta)).toThrow(
    `the metadata log ${join(meta, METADATA_LOG_DIR)} ends at offset 2 but entries up to offset 40 were committed and applied: ` +
      "it lost committed entries (see the recovery lines above); the broker does not start from it",
  );
});

test("without a log (a new data dir, or one from a release before the quorum) the store starts from metadata.json", async () => {
  const meta = metaDir();
  expect(replay(meta)).toMatchObject({ fromLog: false, log: undefined, reached: 0 });
  writeLegacy(meta, "legacy");
  const { store, fromLog, log } = replay(meta);
  expect([fromLog, log, store.version, [...store.current.topics.keys()]]).toEqual([false, undefined, 1, ["legacy"]]);
});

test("a log folder a crash left empty is seeded from metadata.json, and the next start reads the log", async () => {
  const meta = metaDir();
  writeLegacy(meta, "legacy");
  mkdirSync(join(meta, METADATA_LOG_DIR), { recursive: true });
  const first = replay(meta);
  expect(first.fromLog).toBe(false);
  expect(await seedOpenLog(first.log!, first.store)).toBe(true);
  expect(await seedOpenLog(first.log!, first.store)).toBe(false);
  await first.log!.close();
  rmSync(join(meta, METADATA_FILE));
  const second = replay(meta);
  expect([second.fromLog, second.reached, [...second.store.current.topics.keys()]]).toEqual([true, 1, ["legacy"]]);
  await second.log!.close();
});

test("a new data dir under the quorum never gets a metadata.json", async () => {
  const meta = metaDir();
  await writeLog(meta, [marker(0), data(1, create("a"))], 2);
  const { store, machine, log } = replay(meta);
  machine.apply([data(2, create("b"))], 3);
  expect(store.version).toBe(3);
  expect(existsSync(join(meta, METADATA_FILE))).toBe(false);
  await log!.close();
});
