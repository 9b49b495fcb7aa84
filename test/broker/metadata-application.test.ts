import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { applyChange, type MetadataDocument } from "../../src/broker/metadata.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { until as untilProbe } from "../helpers/until.ts";
import { rec } from "./records.ts";

/** Waits for a condition the broker reaches on its own (a deletion finishing). */
const until = (check: () => boolean): Promise<boolean> => untilProbe("condition", async () => check(), (v) => v, 20_000);

let root: string;
const open: Broker[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-apply-"));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  rmSync(root, { recursive: true, force: true });
});

function start(): { broker: Broker; warnings: string[] } {
  const warnings: string[] = [];
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: join(root, "b1"), port: 7001 }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    warn: (m) => warnings.push(m),
  });
  open.push(broker);
  return { broker, warnings };
}

/** A peer's newer document: this broker's, with `changes` applied elsewhere. */
function peerDocument(doc: MetadataDocument, ...changes: Parameters<typeof applyChange>[1][]): MetadataDocument {
  return changes.reduce((d, change) => applyChange(d, change).document, doc);
}

const partitionFolder = (topic: string, partition: number): string => join(root, "b1", `${topic}-${partition}`);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StreamNestError) return error.code;
    throw error;
  }
  return "no error";
}

describe("applyMetadata", () => {
  test("a document adopted from a peer without a topic removes its data here, and says so", async () => {
    const { broker, warnings } = start();
    await broker.createTopic("gone", 1);
    await broker.produce("gone", rec({ message: "x" }));
    const tail = await broker.tail({ topic: "gone", partition: 0, signal: new AbortController().signal });
    const next = tail.records[Symbol.asyncIterator]().next();
    const newer = peerDocument(broker.metadata.current, { type: "delete-topic", topic: "gone" });
    expect(broker.metadata.adopt(newer)).toBe(true);
    expect(broker.listTopics()).toEqual([]);
    // The topic's lifetime ended: its tail ends with the reason.
    expect(await next.then(() => "no error", (e: unknown) => (e instanceof StreamNestError ? e.code : String(e)))).toBe("TOPIC_NOT_FOUND");
    await until(() => !existsSync(partitionFolder("gone", 0)));
    expect(warnings).toEqual([`topic "gone" is no longer in metadata version ${newer.version}: removing its partitions here`]);
    expect(await broker.metrics.text()).not.toContain('topic="gone"');
  });

  test("a topic deleted and created again elsewhere (a new id) starts empty here", async () => {
    const { broker, warnings } = start();
    await broker.createTopic("again", 1);
    await broker.produce("again", rec({ message: "old" }));
    const newer = peerDocument(
      broker.metadata.current,
      { type: "delete-topic", topic: "again" },
      { type: "create-topic", topic: "again", topicId: "new-id", partitions: [{ partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 }], createdAt: 2 },
    );
    broker.metadata.adopt(newer);
    expect(warnings).toEqual([`topic "again" was deleted and created again in metadata version ${newer.version}: removing its partitions here`]);
    await until(() => !existsSync(partitionFolder("again", 0)));
    const { records } = await broker.fetch({ topic: "again", partition: 0, offset: 0 });
    expect(records).toEqual([]);
  });

  test("a deletion seen as a change (not adopted) is not warned about; a topic never written leaves nothing to say", async () => {
    const { broker, warnings } = start();
    await broker.createTopic("quiet", 1);
    await broker.produce("quiet", rec({ message: "x" }));
    await broker.deleteTopic("quiet");
    await broker.createTopic("empty", 1);
    broker.metadata.adopt(peerDocument(broker.metadata.current, { type: "delete-topic", topic: "empty" }));
    expect(warnings).toEqual([]);
    expect(await codeOf(broker.produce("empty", rec({ message: "x" })))).toBe("TOPIC_NOT_FOUND");
  });

  test("topics a newer document adds are served", async () => {
    const { broker } = start();
    broker.metadata.adopt(
      peerDocument(broker.metadata.current, {
        type: "create-topic",
        topic: "from-peer",
        topicId: "p",
        partitions: [
          { partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 },
          { partition: 1, replicas: [1], leader: 1, leaderEpoch: 0 },
        ],
        createdAt: 3,
      }),
    );
    expect(broker.listTopics()).toEqual(["from-peer"]);
    expect(await broker.produce("from-peer", rec({ message: "x", partition: 1 }))).toEqual({ partition: 1, offset: 0 });
  });
});

describe("applyMetadata of a committed batch (only the topics it touched)", () => {
  test("a created topic is served, a deleted one is gone with its data, an altered one takes its new record", async () => {
    const { broker, warnings } = start();
    await broker.createTopic("stays", 1);
    await broker.createTopic("goes", 1);
    await broker.produce("goes", rec({ message: "x" }));
    const goesDir = join(root, "b1", "goes-0");
    expect(existsSync(goesDir)).toBe(true);
    const v = broker.metadata.version;
    broker.metadata.applyCommitted(
      [
        { type: "create-topic", topic: "new", topicId: "n", partitions: [{ partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 }], createdAt: 1 },
        { type: "delete-topic", topic: "goes" },
        { type: "register-schema", topic: "stays", schema: { type: "object", required: ["id"] }, registeredAt: 2 },
      ],
      v + 3,
    );
    expect(broker.listTopics()).toEqual(["new", "stays"]);
    expect(await broker.produce("new", rec({ message: "y" }))).toEqual({ partition: 0, offset: 0 });
    expect(await codeOf(broker.produce("goes", rec({ message: "x" })))).toBe("TOPIC_NOT_FOUND");
    expect(await codeOf(broker.produce("stays", rec({ message: "{}" })))).toBe("SCHEMA_VIOLATION");
    expect(await until(() => !existsSync(goesDir))).toBe(true);
    // A change, not a document adopted from elsewhere: nothing to warn about.
    expect(warnings).toEqual([]);
  });
});

describe("removeOrphanPartitions", () => {
  test("with metadata: a partition folder no topic owns is removed; anything else is left", async () => {
    const first = start().broker;
    await first.createTopic("live", 1);
    await first.close();
    open.splice(0);
    mkdirSync(partitionFolder("orphan", 3));
    writeFileSync(join(partitionFolder("orphan", 3), "00000000000000000000.log"), "");
    writeFileSync(join(partitionFolder("orphan", 3), "index.sqlite"), "");
    mkdirSync(partitionFolder("mine", 0));
    writeFileSync(join(partitionFolder("mine", 0), "notes.txt"), "keep");
    mkdirSync(join(root, "b1", "no partition-0"));
    writeFileSync(join(root, "b1", "file-0"), "");
    const { warnings } = start();
    expect(existsSync(partitionFolder("orphan", 3))).toBe(false);
    expect(warnings).toEqual([`removing ${partitionFolder("orphan", 3)}: its topic is no longer in the metadata`]);
    expect([existsSync(partitionFolder("mine", 0)), existsSync(join(root, "b1", "no partition-0")), existsSync(join(root, "b1", "file-0"))]).toEqual([
      true,
      true,
      true,
    ]);
  });

  test("without any metadata (meta/ lost), partition folders are kept and named", () => {
    mkdirSync(partitionFolder("precious", 0), { recursive: true });
    writeFileSync(join(partitionFolder("precious", 0), "00000000000000000000.log"), "data");
    const { warnings } = start();
    expect(existsSync(join(partitionFolder("precious", 0), "00000000000000000000.log"))).toBe(true);
    expect(warnings).toEqual([
      `no metadata names the partition folders ${partitionFolder("precious", 0)}: kept; create their topics again to serve them, or delete the folders`,
    ]);
  });
});
