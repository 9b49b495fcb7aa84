import { describe, expect, test } from "bun:test";
import { applyChange, emptyMetadata, type MetadataChange, type MetadataDocument } from "../../src/broker/metadata.ts";
import { placePartitions } from "../../src/broker/metadata-placement.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const BROKERS = [
  { id: 3, address: "c:3" },
  { id: 1, address: "a:1" },
  { id: 2, address: "b:2" },
];

function create(topic: string, count: number): Extract<MetadataChange, { type: "create-topic" }> {
  return { type: "create-topic", topic, topicId: `${topic}-id`, partitions: placePartitions(BROKERS, count), createdAt: 1 };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StreamNestError ? error.code : "not a StreamNestError";
  }
  return undefined;
}

describe("placePartitions", () => {
  test("partition p goes to position p mod N of the brokers sorted by id", () => {
    expect(placePartitions(BROKERS, 7).map((p) => p.leader)).toEqual([1, 2, 3, 1, 2, 3, 1]);
    expect(placePartitions(BROKERS, 2)).toEqual([
      { partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 },
      { partition: 1, replicas: [2], leader: 2, leaderEpoch: 0 },
    ]);
  });

  test("a single broker leads everything; the input order does not matter", () => {
    expect(placePartitions([{ id: 9, address: "x:1" }], 3).map((p) => p.leader)).toEqual([9, 9, 9]);
    expect(placePartitions([...BROKERS].reverse(), 5)).toEqual(placePartitions(BROKERS, 5));
  });
});

describe("applyChange", () => {
  test("each change bumps the version; the input document is never modified", () => {
    const empty = emptyMetadata(BROKERS);
    const { document: one, changed } = applyChange(empty, create("a", 3));
    expect(changed).toBe(true);
    expect(one.version).toBe(1);
    expect(empty.topics.size).toBe(0);
    expect(one.topics.get("a")?.partitions.map((p) => p.leader)).toEqual([1, 2, 3]);
    expect(one.topics.get("a")?.id).toBe("a-id");
    const { document: two } = applyChange(one, { type: "register-schema", topic: "a", schema: { type: "string" }, registeredAt: 5 });
    expect(two.version).toBe(2);
    expect(two.topics.get("a")?.schemas).toEqual([{ version: 1, schema: { type: "string" }, registeredAt: 5 }]);
    expect(one.topics.get("a")?.schemas).toEqual([]);
    const { document: three } = applyChange(two, { type: "register-schema", topic: "a", schema: { type: "number" }, registeredAt: 6 });
    expect(three.topics.get("a")?.schemas.map((s) => s.version)).toEqual([1, 2]);
    const { document: four } = applyChange(three, { type: "delete-topic", topic: "a" });
    expect([four.version, four.topics.has("a")]).toEqual([4, false]);
  });

  test("replays are harmless; conflicts throw and change nothing", () => {
    const { document: one } = applyChange(emptyMetadata(), create("a", 3));
    const again = applyChange(one, create("a", 3));
    expect([again.changed, again.document]).toEqual([false, one]);
    expect(codeOf(() => applyChange(one, create("a", 4)))).toBe("TOPIC_EXISTS");
    expect(applyChange(one, { type: "delete-topic", topic: "zzz" })).toEqual({ document: one, changed: false });
    expect(codeOf(() => applyChange(one, { type: "register-schema", topic: "zzz", schema: {}, registeredAt: 0 }))).toBe("TOPIC_NOT_FOUND");
  });

  test("set-brokers sorts by id and is a no-op when nothing changed", () => {
    const doc: MetadataDocument = emptyMetadata();
    const { document: one } = applyChange(doc, { type: "set-brokers", brokers: BROKERS });
    expect(one.brokers.map((b) => b.id)).toEqual([1, 2, 3]);
    expect(applyChange(one, { type: "set-brokers", brokers: [...BROKERS].reverse() }).changed).toBe(false);
  });

  test("a topic named __proto__ is an ordinary topic", () => {
    const { document } = applyChange(emptyMetadata(), create("__proto__", 1));
    expect([...document.topics.keys()]).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).partitions).toBeUndefined();
  });
});

test("a create-topic change with an illegal name or a gap in partitions is refused", () => {
  expect(codeOf(() => applyChange(emptyMetadata(), { ...create("a", 1), topic: "../x" }))).toBe("INVALID_TOPIC_NAME");
  expect(codeOf(() => applyChange(emptyMetadata(), { ...create("a", 2), partitions: placePartitions(BROKERS, 2).reverse() }))).toBe(
    "INVALID_PARTITIONS",
  );
});

describe("topic settings (set-topic-config)", () => {
  test("a create carries them; set-topic-config replaces them whole; the same again changes nothing", () => {
    const { document: one } = applyChange(emptyMetadata(BROKERS), { ...create("t", 1), config: { retentionMs: 1000 } });
    expect(one.topics.get("t")?.config).toEqual({ retentionMs: 1000 });
    const set = { type: "set-topic-config", topic: "t", topicId: "t-id", config: { retentionBytes: 50 } } as const;
    const { document: two, changed } = applyChange(one, set);
    expect([changed, two.version, two.topics.get("t")?.config]).toEqual([true, 2, { retentionBytes: 50 }]);
    expect(one.topics.get("t")?.config).toEqual({ retentionMs: 1000 });
    expect(applyChange(two, set)).toEqual({ document: two, changed: false });
    const { document: three } = applyChange(two, { ...set, config: {} });
    expect(three.topics.get("t")).not.toHaveProperty("config");
  });

  test("a change for another incarnation of the topic, or none, is TOPIC_NOT_FOUND", () => {
    const { document: one } = applyChange(emptyMetadata(BROKERS), create("t", 1));
    expect(codeOf(() => applyChange(one, { type: "set-topic-config", topic: "t", topicId: "old-id", config: {} }))).toBe("TOPIC_NOT_FOUND");
    expect(codeOf(() => applyChange(one, { type: "set-topic-config", topic: "u", topicId: "t-id", config: {} }))).toBe("TOPIC_NOT_FOUND");
  });
});

describe("broker registration and fencing (metadata quorum)", () => {
  const register = (id: number, incarnation: number, address = `h:${id}`): MetadataChange => ({ type: "register-broker", broker: { id, address, incarnation } });

  test("a registration records the incarnation unfenced; the same again changes nothing", () => {
    const first = applyChange(emptyMetadata(), register(2, 100));
    expect(first.changed).toBe(true);
    expect(first.document.brokers).toEqual([{ id: 2, address: "h:2", incarnation: 100, fenced: false }]);
    expect(applyChange(first.document, register(2, 100)).changed).toBe(false);
  });

  test("fencing names the incarnation: a fence of a replaced incarnation does nothing", () => {
    let doc = applyChange(emptyMetadata(), register(2, 100)).document;
    doc = applyChange(doc, { type: "fence-broker", id: 2, incarnation: 100 }).document;
    expect(doc.brokers[0]!.fenced).toBe(true);
    // Back with a later incarnation: unfenced; the old fence decided late does not apply.
    doc = applyChange(doc, register(2, 200)).document;
    expect(doc.brokers[0]).toEqual({ id: 2, address: "h:2", incarnation: 200, fenced: false });
    expect(applyChange(doc, { type: "fence-broker", id: 2, incarnation: 100 }).changed).toBe(false);
  });

  test("the same incarnation registering again after a fence is unfenced (a healed partition)", () => {
    let doc = applyChange(emptyMetadata(), register(1, 5)).document;
    doc = applyChange(doc, { type: "fence-broker", id: 1, incarnation: 5 }).document;
    const back = applyChange(doc, register(1, 5));
    expect(back.changed).toBe(true);
    expect(back.document.brokers[0]!.fenced).toBe(false);
  });

  test("an earlier incarnation than the registered one is refused with STALE_BROKER_EPOCH", () => {
    const doc = applyChange(emptyMetadata(), register(3, 500)).document;
    expect(codeOf(() => applyChange(doc, register(3, 499)))).toBe("STALE_BROKER_EPOCH");
  });
});

describe("alter-partition (AlterPartition with epochs)", () => {
  const created = () =>
    applyChange(emptyMetadata(), {
      type: "create-topic",
      topic: "r",
      topicId: "id-r",
      partitions: [{ partition: 0, replicas: [1, 2, 3], leader: 1, leaderEpoch: 0, isr: [1, 2, 3], partitionEpoch: 0 }],
      createdAt: 1,
      replicationFactor: 3,
      minInsyncReplicas: 2,
    }).document;
  const alter = (over: Partial<Extract<MetadataChange, { type: "alter-partition" }>>): MetadataChange => ({
    type: "alter-partition",
    topic: "r",
    topicId: "id-r",
    partition: 0,
    leader: 1,
    isr: [1, 2],
    leaderEpoch: 0,
    partitionEpoch: 1,
    expectedLeaderEpoch: 0,
    expectedPartitionEpoch: 0,
    ...over,
  });

  test("an ISR change made from the current epochs is applied; the same again changes nothing", () => {
    const { document, changed } = applyChange(created(), alter({}));
    expect(changed).toBe(true);
    expect(document.topics.get("r")?.partitions[0]).toEqual({ partition: 0, replicas: [1, 2, 3], leader: 1, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 1 });
    expect(applyChange(document, alter({})).changed).toBe(false);
  });

  test("a zombie leader's change, made from an older epoch, is fenced", () => {
    const elected = applyChange(created(), alter({ leader: 2, leaderEpoch: 1, isr: [2, 3], partitionEpoch: 1 })).document;
    // Old leader 1, still at leader epoch 0, tries to shrink the ISR to itself.
    expect(() => applyChange(elected, alter({ isr: [1] }))).toThrow("is at leader epoch 1 and partition epoch 1; the change was made for 0 and 0");
  });

  test("invalid steps are refused: a leader outside the ISR, a skipped epoch, a replica that is not one", () => {
    expect(() => applyChange(created(), alter({ isr: [2, 3] }))).toThrow("is not a valid step");
    expect(() => applyChange(created(), alter({ partitionEpoch: 2 }))).toThrow("is not a valid step");
    expect(() => applyChange(created(), alter({ isr: [1, 4] }))).toThrow("is not a valid step");
    expect(() => applyChange(created(), alter({ topicId: "other" }))).toThrow('topic "r" (id other) does not exist');
  });
});

describe("security changes (users, tokens, ACLs) in the metadata", () => {
  const acl = {
    type: "add-acl",
    binding: { principal: "User:a", permission: "ALLOW", operation: "READ", resourceType: "TOPIC", patternType: "LITERAL", resourceName: "t" },
  } as const;

  test("each bumps the version, and later topic and broker changes keep the security state", () => {
    let doc = applyChange(emptyMetadata(BROKERS), { type: "security", change: { type: "add-user", name: "a" } }).document;
    doc = applyChange(doc, { type: "security", change: acl }).document;
    expect(doc.version).toBe(2);
    const security = doc.security;
    doc = applyChange(doc, create("t", 1)).document;
    doc = applyChange(doc, { type: "set-brokers", brokers: [{ id: 1, address: "a:1" }] }).document;
    doc = applyChange(doc, { type: "register-broker", broker: { id: 2, address: "b:2", incarnation: 1 } }).document;
    expect(doc.version).toBe(5);
    expect(doc.security).toBe(security);
    expect([...(doc.security?.users.keys() ?? [])]).toEqual(["a"]);
    expect(doc.security?.acls.size).toBe(1);
  });

  test("an ACL added twice changes nothing; a user added twice is USER_EXISTS and the document is untouched", () => {
    const doc = applyChange(applyChange(emptyMetadata(), { type: "security", change: acl }).document, {
      type: "security",
      change: { type: "add-user", name: "a" },
    }).document;
    expect(applyChange(doc, { type: "security", change: acl })).toEqual({ document: doc, changed: false });
    expect(() => applyChange(doc, { type: "security", change: { type: "add-user", name: "a" } })).toThrow(
      new StreamNestError("USER_EXISTS", 'user "a" already exists'),
    );
    expect(doc.version).toBe(2);
  });
});
