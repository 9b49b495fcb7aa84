import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { METADATA_FILE } from "../../src/broker/metadata-store.ts";
import { APPLIED_OFFSET_FILE, readAppliedOffset } from "../../src/cluster/applied-offset-file.ts";
import { ClusterLink } from "../../src/cluster/cluster-link.ts";
import { METADATA_LOG_DIR } from "../../src/cluster/quorum-disk-log.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { untilTrue } from "../helpers/until.ts";

/** A lone broker under the metadata quorum (its own single voter), in this process. */

const roots: string[] = [];
const running: Array<{ broker: Broker; link: ClusterLink }> = [];
afterEach(async () => {
  for (const { broker, link } of running.splice(0)) {
    await link.stop();
    await broker.close();
  }
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function open(dataDir: string, lines: string[]): { broker: Broker; link: ClusterLink } {
  const config = brokerConfig({ id: 1, dataDir, host: "127.0.0.1", port: 7001, metadataSnapshotEntries: 3 });
  const link = new ClusterLink(config, { log: (line) => lines.push(line) });
  const broker = Broker.open(config, { ...link.brokerDeps(), metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
  link.attach(broker);
  running.push({ broker, link });
  return { broker, link };
}

async function leading(link: ClusterLink): Promise<void> {
  await untilTrue("the lone voter leading", async () => link.status().quorum?.leader === 1, 20_000);
}

test("the store starts from the metadata log (snapshot + committed tail) and never writes metadata.json", async () => {
  const root = mkdtempSync(join(tmpdir(), "metadata-quorum-"));
  roots.push(root);
  const dataDir = join(root, "broker-1");
  const first = open(dataDir, []);
  first.link.start();
  await leading(first.link);
  // Snapshots every 3 entries: five creates leave a snapshot and a tail after it.
  for (const t of ["a", "b", "c", "d", "e"]) expect(await first.broker.createTopic(t, 2)).toBe("created");
  expect(await first.broker.registerSchema("e", { type: "object" })).toBe(1);
  const version = first.broker.metadata.version;
  const before = first.broker.clusterMetadata();
  expect(existsSync(join(dataDir, "meta", METADATA_FILE))).toBe(false);
  expect(readAppliedOffset(join(dataDir, "meta", METADATA_LOG_DIR, APPLIED_OFFSET_FILE))).toBe(version);
  running.splice(0);
  await first.broker.close();
  await first.link.stop();

  const lines: string[] = [];
  const second = open(dataDir, lines);
  // Before the quorum runs at all, the broker holds everything it had applied.
  expect(second.broker.metadata.version).toBe(version);
  expect(second.broker.clusterMetadata()).toEqual(before);
  expect(second.broker.schemaVersions("e").map((s) => s.version)).toEqual([1]);
  expect(lines.some((l) => l.startsWith(`Metadata replayed from the metadata log up to offset ${version} (5 topics)`))).toBe(true);
  second.link.start();
  await leading(second.link);
  expect(await second.broker.createTopic("f", 1)).toBe("created");
  expect(second.broker.listTopics()).toEqual(["a", "b", "c", "d", "e", "f"]);
  expect(existsSync(join(dataDir, "meta", METADATA_FILE))).toBe(false);
}, 60_000);

test("a read barrier asked before the quorum runs waits for it, rather than answering from a store that knows nothing yet", async () => {
  const root = mkdtempSync(join(tmpdir(), "metadata-quorum-"));
  roots.push(root);
  const { broker, link } = open(join(root, "broker-1"), []);
  const waiting = broker.catchUpMetadata();
  await Bun.sleep(50);
  link.start();
  expect(await waiting).toBe(true);
});

test("the store opens from the metadata log (the quorum is the only metadata mode)", () => {
  const root = mkdtempSync(join(tmpdir(), "metadata-quorum-"));
  roots.push(root);
  const config = brokerConfig({ id: 1, dataDir: join(root, "b"), host: "127.0.0.1", port: 7001 });
  expect(new ClusterLink(config).brokerDeps().openMetadata).toBeDefined();
});
