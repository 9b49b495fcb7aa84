import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { placePartitions } from "../../src/broker/metadata-placement.ts";
import { MetadataStore } from "../../src/broker/metadata-store.ts";
import type { ApplyResult, MetadataChange } from "../../src/broker/metadata.ts";
import { encodeEntry, MetadataStateMachine } from "../../src/cluster/metadata-entries.ts";
import { QuorumDriver } from "../../src/cluster/quorum-driver.ts";
import { QUORUM_STATE_FILE } from "../../src/cluster/quorum/quorum-state-file.ts";

const dirs: string[] = [];
const drivers: QuorumDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const create = (topic: string): MetadataChange => ({ type: "create-topic", topic, topicId: `${topic}-id`, partitions: placePartitions([{ id: 1, address: "a:1" }], 1), createdAt: 1 });

/** A one-voter quorum on a real disk: it elects itself and commits alone. */
function node(dir: string, snapshotEveryEntries = 1000, snapshotEveryBytes?: number) {
  const store = MetadataStore.open(join(dir, "meta"), [{ id: 1, address: "a:1" }]);
  const sent: unknown[] = [];
  const driver = new QuorumDriver({
    nodeId: 1,
    voters: [{ id: 1, directoryId: null }],
    dir: join(dir, "meta"),
    logDir: join(dir, "meta", "__cluster_metadata-0"),
    machine: new MetadataStateMachine(() => store),
    send: (messages) => sent.push(...messages),
    snapshotEveryEntries,
    ...(snapshotEveryBytes !== undefined ? { snapshotEveryBytes } : {}),
  });
  drivers.push(driver);
  driver.start();
  return { store, driver, sent };
}

async function leading(driver: QuorumDriver): Promise<void> {
  for (let i = 0; i < 200 && driver.leaderId !== 1; i++) await Bun.sleep(10);
  expect(driver.leaderId).toBe(1);
}

describe("QuorumDriver", () => {
  test("a lone voter elects itself, commits a change, applies it, and keeps its election state on disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-driver-"));
    dirs.push(dir);
    const { store, driver, sent } = node(dir);
    await leading(driver);
    const result = (await driver.propose(encodeEntry("r1", create("a")))) as ApplyResult;
    expect(result.changed).toBe(true);
    // Offset 0 is the leader's epoch marker, 1 the create: two entries committed.
    expect(store.version).toBe(2);
    expect(driver.status().highWatermark).toBe(2);
    expect(existsSync(join(dir, "meta", QUORUM_STATE_FILE))).toBe(true);
    // A lone voter has no one to send anything to.
    expect(sent).toEqual([]);
  });

  test("after a restart the log replays into the same state, in a later epoch", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-driver-"));
    dirs.push(dir);
    let { driver } = node(dir);
    await leading(driver);
    await driver.propose(encodeEntry("r1", create("a")));
    await driver.propose(encodeEntry("r2", create("b")));
    const epoch = driver.status().epoch;
    await driver.stop();
    drivers.splice(drivers.indexOf(driver), 1);
    rmSync(join(dir, "meta", "metadata.json"));
    const again = node(dir);
    driver = again.driver;
    await leading(driver);
    for (let i = 0; i < 100 && again.store.version < 4; i++) await Bun.sleep(10);
    expect([...again.store.current.topics.keys()].sort()).toEqual(["a", "b"]);
    expect(driver.status().epoch).toBeGreaterThan(epoch);
  });

  test("every N committed entries the state is snapshotted and the log prefix trimmed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-driver-"));
    dirs.push(dir);
    const { driver } = node(dir, 3);
    await leading(driver);
    for (const t of ["a", "b", "c", "d"]) await driver.propose(encodeEntry(t, create(t)));
    await Bun.sleep(20);
    const logDir = join(dir, "meta", "__cluster_metadata-0");
    expect(readdirSync(logDir).filter((f) => f.endsWith(".snapshot")).length).toBe(1);
    expect(driver.status().logStartOffset).toBeGreaterThanOrEqual(3);
  });

  test("a snapshot is also taken once the entries since the last one hold enough bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-driver-"));
    dirs.push(dir);
    const one = encodeEntry("a", create("a")).byteLength;
    // Entries alone would wait for 1,000; the bytes of three creates are due first.
    const { driver } = node(dir, 1000, one * 3);
    await leading(driver);
    for (const t of ["a", "b"]) await driver.propose(encodeEntry(t, create(t)));
    const logDir = join(dir, "meta", "__cluster_metadata-0");
    expect(readdirSync(logDir).filter((f) => f.endsWith(".snapshot"))).toEqual([]);
    for (const t of ["c", "d"]) await driver.propose(encodeEntry(t, create(t)));
    await Bun.sleep(20);
    expect(readdirSync(logDir).filter((f) => f.endsWith(".snapshot")).length).toBe(1);
    expect(driver.status().logStartOffset).toBeGreaterThanOrEqual(4);
  });

  // Used by a leader whose metadata disk is full (metadata-quorum.ts), so that a voter
  // whose disk has room leads; a lone voter, as here, stands again after a timeout.
  test("resign(): the leader stops leading and refuses proposals until it is elected again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-driver-"));
    dirs.push(dir);
    const { driver } = node(dir);
    await leading(driver);
    driver.resign();
    expect([driver.status().role, driver.leaderId]).toEqual(["resigned", null]);
    expect(() => driver.propose(encodeEntry("r1", create("a")))).toThrow("is not the quorum leader");
    await leading(driver);
  });

  test("a proposal anywhere but on the leader is refused with NOT_CONTROLLER", () => {
    const dir = mkdtempSync(join(tmpdir(), "quorum-driver-"));
    dirs.push(dir);
    const { driver } = node(dir);
    expect(() => driver.propose(encodeEntry("r", create("x")))).toThrow(/not the quorum leader/);
  });
});
