import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyChange } from "../../src/broker/metadata.ts";
import { placePartitions } from "../../src/broker/metadata-placement.ts";
import { LocalMetadataProposer } from "../../src/broker/metadata-proposer.ts";
import { decodeMetadata, encodeMetadata, METADATA_FILE, MetadataStore } from "../../src/broker/metadata-store.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const SELF = [{ id: 1, address: "localhost:1" }];
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "streamnest-meta-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const create = (topic: string, n = 2) =>
  ({ type: "create-topic", topic, topicId: `${topic}-id`, partitions: placePartitions(SELF, n), createdAt: 7 }) as const;

describe("MetadataStore", () => {
  test("starts empty without writing, persists every change, reopens to the same document", () => {
    const store = MetadataStore.open(dir, SELF);
    expect(store.version).toBe(0);
    expect(existsSync(join(dir, METADATA_FILE))).toBe(false);
    store.apply(create("a"));
    store.apply({ type: "register-schema", topic: "a", schema: { type: "object" }, registeredAt: 9 });
    const reopened = MetadataStore.open(dir, []);
    expect(reopened.version).toBe(2);
    expect(reopened.topic("a")).toEqual(store.topic("a"));
    expect(reopened.current.brokers).toEqual(SELF);
    // Only the document itself is left behind: the temporary file was renamed over it.
    expect(readdirSync(dir)).toEqual([METADATA_FILE]);
  });

  test("listeners hear every persisted change, after it is on disk", () => {
    const store = MetadataStore.open(dir, SELF);
    const heard: number[] = [];
    const off = store.onChange((doc) => {
      heard.push(doc.version);
      expect(JSON.parse(readFileSync(join(dir, METADATA_FILE), "utf8")).version).toBe(doc.version);
    });
    store.apply(create("a"));
    store.apply(create("a"));
    store.apply({ type: "delete-topic", topic: "a" });
    off();
    store.apply(create("b"));
    expect(heard).toEqual([1, 2]);
  });

  test("a refused change writes nothing", () => {
    const store = MetadataStore.open(dir, SELF);
    store.apply(create("a", 2));
    const before = readFileSync(join(dir, METADATA_FILE), "utf8");
    expect(() => store.apply(create("a", 3))).toThrow(StreamNestError);
    expect(readFileSync(join(dir, METADATA_FILE), "utf8")).toBe(before);
    expect(store.version).toBe(1);
  });

  test("a leftover temporary file from a crash is ignored and removed", () => {
    const store = MetadataStore.open(dir, SELF);
    store.apply(create("a"));
    writeFileSync(join(dir, `${METADATA_FILE}.tmp`), '{"half":');
    const reopened = MetadataStore.open(dir, SELF);
    expect(reopened.version).toBe(1);
    expect(existsSync(join(dir, `${METADATA_FILE}.tmp`))).toBe(false);
  });

  test("a damaged document is a clear STORAGE_ERROR, never silently emptied", () => {
    writeFileSync(join(dir, METADATA_FILE), "{not json");
    expect(() => MetadataStore.open(dir, SELF)).toThrow(/not valid JSON/);
    writeFileSync(join(dir, METADATA_FILE), '{"something":"else"}');
    expect(() => MetadataStore.open(dir, SELF)).toThrow(/not a StreamNest metadata document/);
  });

  test("adopt takes only a newer document, persists it and notifies", () => {
    const store = MetadataStore.open(dir, SELF);
    store.apply(create("a"));
    let heard = 0;
    store.onChange(() => heard++);
    const newer = applyChange(applyChange(store.current, create("b")).document, create("c")).document;
    expect(store.adopt(newer)).toBe(true);
    expect(store.adopt(store.current)).toBe(false);
    expect(heard).toBe(1);
    expect([...MetadataStore.open(dir, SELF).current.topics.keys()].sort()).toEqual(["a", "b", "c"]);
  });

  test("the local proposer applies through the store", async () => {
    const store = MetadataStore.open(dir, SELF);
    const proposer = new LocalMetadataProposer(store);
    expect((await proposer.propose(create("a"))).changed).toBe(true);
    expect((await proposer.propose(create("a"))).changed).toBe(false);
    expect(store.version).toBe(1);
  });
});

test("a document naming an illegal topic is refused on load", () => {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-meta-"));
  try {
    writeFileSync(
      join(dir, METADATA_FILE),
      JSON.stringify({ format: 1, version: 1, brokers: [], topics: [{ name: "../escape", id: "x", partitions: [], schemas: [], createdAt: 0 }] }),
    );
    expect(() => MetadataStore.open(dir, SELF)).toThrow(/illegal topic name/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("MetadataStore.applyCommitted (metadata quorum)", () => {
  test("the version becomes the committed offset; a conflict is refused alike and skipped; one write", () => {
    const store = MetadataStore.open(dir, SELF);
    const heard: Array<number> = [];
    store.onChange((doc) => heard.push(doc.version));
    const outcomes = store.applyCommitted([null, create("a"), { ...create("a", 3) }, create("b")], 4);
    expect(store.version).toBe(4);
    expect([...store.current.topics.keys()].sort()).toEqual(["a", "b"]);
    expect(outcomes.map((o) => (o.ok ? o.value.changed : (o.error as StreamNestError).code))).toEqual([false, true, "TOPIC_EXISTS", true]);
    expect(heard).toEqual([4]);
    expect(MetadataStore.open(dir, []).version).toBe(4);
  });

  test("entries at or below the held version were applied before and are skipped whole", () => {
    const store = MetadataStore.open(dir, SELF);
    store.applyCommitted([create("a")], 1);
    const again = store.applyCommitted([create("a"), { type: "delete-topic", topic: "a" }], 2);
    expect(again.map((o) => o.ok && o.value.changed)).toEqual([false, true]);
    expect(store.version).toBe(2);
    expect(store.topic("a")).toBeUndefined();
  });

  test("a snapshot of a later version replaces the document; an older one is ignored", () => {
    const store = MetadataStore.open(dir, SELF);
    store.applyCommitted([create("a")], 3);
    const other = MetadataStore.open(mkdtempSync(join(tmpdir(), "streamnest-meta-other-")), SELF);
    other.applyCommitted([create("z")], 9);
    store.loadSnapshot(other.current);
    expect([store.version, [...store.current.topics.keys()]]).toEqual([9, ["z"]]);
    store.loadSnapshot({ ...other.current, version: 2, topics: new Map() });
    expect(store.version).toBe(9);
    rmSync(other.dir, { recursive: true, force: true });
  });

  test("listeners are told which topics the batch touched; the previous document is left as it was", () => {
    const store = MetadataStore.open(dir, SELF);
    store.applyCommitted([create("a"), create("b")], 2);
    const before = store.current;
    const heard: Array<string[] | undefined> = [];
    const previousVersions: number[] = [];
    store.onChange((_doc, _change, previous, touched) => {
      previousVersions.push(previous.version);
      heard.push(touched === undefined ? undefined : [...touched].sort());
    });
    store.applyCommitted([null, create("c"), { type: "register-schema", topic: "a", schema: {}, registeredAt: 1 }, create("c")], 6);
    store.applyCommitted([{ type: "register-broker", broker: { id: 1, address: "localhost:1", incarnation: 5 } }], 7);
    store.loadSnapshot({ ...store.current, version: 9 });
    expect(heard).toEqual([["a", "c"], [], undefined]);
    expect(previousVersions).toEqual([2, 6, 7]);
    // The document before the batch still holds what it held: a batch works on its own copy.
    expect([...before.topics.keys()].sort()).toEqual(["a", "b"]);
    expect(before.topics.get("a")!.schemas).toEqual([]);
    expect(store.topic("a")!.schemas.map((s) => s.version)).toEqual([1]);
    expect(store.current.brokers).toEqual([{ id: 1, address: "localhost:1", incarnation: 5, fenced: false }]);
  });

  test("a delete and a create of the same name in one batch leave the new topic", () => {
    const store = MetadataStore.open(dir, SELF);
    store.applyCommitted([create("a")], 1);
    store.applyCommitted([{ type: "delete-topic", topic: "a" }, { ...create("a", 3), topicId: "a-2" }], 3);
    expect([store.topic("a")!.id, store.topic("a")!.partitions.length]).toEqual(["a-2", 3]);
  });

  test("with writeDocument false (the metadata quorum) nothing is written, and metadata.json is not read unless asked", () => {
    MetadataStore.open(dir, SELF).apply(create("legacy"));
    const before = readFileSync(join(dir, METADATA_FILE), "utf8");
    const store = MetadataStore.open(dir, SELF, { writeDocument: false });
    expect(store.topic("legacy")).toBeDefined();
    store.applyCommitted([create("a")], 5);
    store.apply(create("b"));
    store.loadSnapshot({ ...store.current, version: 9 });
    expect(readFileSync(join(dir, METADATA_FILE), "utf8")).toBe(before);
    expect(readdirSync(dir)).toEqual([METADATA_FILE]);
    const fresh = MetadataStore.open(dir, SELF, { writeDocument: false, readDocument: false });
    expect([fresh.version, fresh.current.topics.size, fresh.current.brokers]).toEqual([0, 0, SELF]);
  });
});

describe("MetadataStore and the security state", () => {
  test("a security change committed by the quorum is applied, kept by later batches, and in the snapshot", () => {
    const store = MetadataStore.open(dir, SELF, { writeDocument: false });
    const acl = { principal: "User:alice", permission: "ALLOW", operation: "READ", resourceType: "TOPIC", patternType: "LITERAL", resourceName: "a" } as const;
    const outcomes = store.applyCommitted(
      [create("a"), { type: "security", change: { type: "add-user", name: "alice" } }, { type: "security", change: { type: "add-acl", binding: acl } }],
      3,
    );
    expect(outcomes.map((o) => o.ok && o.value.changed)).toEqual([true, true, true]);
    // Later batches of other changes (a topic, a broker) leave users and ACLs as they were.
    store.applyCommitted([create("b"), { type: "register-broker", broker: { id: 2, address: "localhost:2", incarnation: 1 } }], 5);
    expect([...(store.current.security?.users.keys() ?? [])]).toEqual(["alice"]);
    expect([...(store.current.security?.acls.values() ?? [])]).toEqual([acl]);
    // What a snapshot holds (metadata-entries.ts encodes the document) brings them back.
    const restored = decodeMetadata(encodeMetadata(store.current));
    expect([restored.version, [...(restored.security?.users.keys() ?? [])], [...(restored.security?.acls.values() ?? [])]]).toEqual([5, ["alice"], [acl]]);
    const fresh = MetadataStore.open(dir, SELF, { writeDocument: false, readDocument: false });
    fresh.loadSnapshot(restored);
    expect([...(fresh.current.security?.users.keys() ?? [])]).toEqual(["alice"]);
    // Replayed entries at or below the held version change nothing.
    store.applyCommitted([{ type: "security", change: { type: "remove-user", name: "alice" } }], 5);
    expect([...(store.current.security?.users.keys() ?? [])]).toEqual(["alice"]);
  });

  test("users, tokens and ACLs are persisted and read back; a document without any has no security field", () => {
    const store = MetadataStore.open(dir, SELF);
    store.apply(create("a"));
    expect(JSON.parse(readFileSync(join(dir, METADATA_FILE), "utf8")).security).toBeUndefined();
    store.apply({ type: "security", change: { type: "add-user", name: "alice" } });
    store.apply({
      type: "security",
      change: {
        type: "add-acl",
        binding: { principal: "User:alice", permission: "DENY", operation: "WRITE", resourceType: "TOPIC", patternType: "PREFIXED", resourceName: "a" },
      },
    });
    const reopened = MetadataStore.open(dir, []);
    expect(reopened.version).toBe(3);
    expect([...(reopened.current.security?.users.keys() ?? [])]).toEqual(["alice"]);
    expect([...(reopened.current.security?.acls.values() ?? [])]).toEqual([...(store.current.security?.acls.values() ?? [])]);
  });

  test("a security state that does not validate is a STORAGE_ERROR naming the file", () => {
    writeFileSync(
      join(dir, METADATA_FILE),
      JSON.stringify({ format: 1, version: 1, brokers: [], topics: [], security: { users: [{ name: "" }], tokens: [], acls: [] } }),
    );
    expect(() => MetadataStore.open(dir, [])).toThrow(
      new StreamNestError("STORAGE_ERROR", `${join(dir, METADATA_FILE)} holds an invalid security state: user name is empty`),
    );
  });
});
