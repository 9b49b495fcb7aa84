import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MetadataChange } from "../../src/broker/metadata.ts";
import { placePartitions } from "../../src/broker/metadata-placement.ts";
import { MetadataStore } from "../../src/broker/metadata-store.ts";
import { APPLIED_OFFSET_FILE, AppliedOffsetFile, readAppliedOffset } from "../../src/cluster/applied-offset-file.ts";
import { encodeEntry, MetadataStateMachine } from "../../src/cluster/metadata-entries.ts";
import type { Entry } from "../../src/cluster/quorum/types.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function machine(): { store: MetadataStore; sm: MetadataStateMachine } {
  const dir = mkdtempSync(join(tmpdir(), "metadata-entries-"));
  dirs.push(dir);
  const store = MetadataStore.open(dir, [{ id: 1, address: "a:1" }]);
  return { store, sm: new MetadataStateMachine(() => store) };
}

const schema = (topic: string): MetadataChange => ({ type: "register-schema", topic, schema: { type: "object" }, registeredAt: 1 });
const create = (topic: string): MetadataChange => ({ type: "create-topic", topic, topicId: `${topic}-id`, partitions: placePartitions([{ id: 1, address: "a:1" }], 1), createdAt: 1 });
const data = (offset: number, id: string, change: MetadataChange): Entry => ({ offset, epoch: 1, kind: "data", payload: encodeEntry(id, change) });
const marker = (offset: number): Entry => ({ offset, epoch: 1, kind: "leader-change", payload: new Uint8Array() });

describe("MetadataStateMachine", () => {
  test("a request id applied twice is applied once and answered with the first outcome", () => {
    const { store, sm } = machine();
    const first = sm.apply([marker(0), data(1, "req-a", create("t")), data(2, "req-b", schema("t"))], 3);
    expect(first.map((o) => o.ok)).toEqual([true, true, true]);
    // The same schema request sent again (its first answer was lost): no second version.
    const again = sm.apply([data(3, "req-b", schema("t"))], 4);
    expect(store.topic("t")!.schemas.map((s) => s.version)).toEqual([1]);
    expect(again).toEqual([first[2]!]);
    expect(store.version).toBe(4);
    // Twice within one batch too.
    sm.apply([data(4, "req-c", schema("t")), data(5, "req-c", schema("t"))], 6);
    expect(store.topic("t")!.schemas.map((s) => s.version)).toEqual([1, 2]);
  });

  test("a refused change is refused on replay with the same error", () => {
    const { sm } = machine();
    const [refused] = sm.apply([data(0, "req-x", schema("missing"))], 1);
    expect(refused!.ok).toBe(false);
    expect(sm.apply([data(1, "req-x", schema("missing"))], 2)).toEqual([refused!]);
  });

  test("a committed entry whose change does not parse is answered with why and skipped; the entries after it apply (it once stopped every restart)", () => {
    const { store, sm } = machine();
    const bad = (offset: number, id: string, change: unknown): Entry => ({
      offset,
      epoch: 1,
      kind: "data",
      payload: new TextEncoder().encode(JSON.stringify({ id, change })),
    });
    const garbage: Entry = { offset: 2, epoch: 1, kind: "data", payload: new TextEncoder().encode("{not json") };
    const outcomes = sm.apply(
      [data(0, "r1", create("t")), bad(1, "r2", { type: "security", change: { type: "revoke-token", id: "xyz" } }), garbage, data(3, "r3", schema("t"))],
      4,
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, false, true]);
    const refused = outcomes[1] as { ok: false; error: Error };
    expect(refused.error.message).toBe("token id must be 16 lowercase hex digits");
    expect([store.version, store.topic("t")!.schemas.length]).toEqual([4, 1]);
  });

  test("a snapshot taken from one store loads into another at the snapshot's offset", () => {
    const a = machine();
    a.sm.apply([data(0, "r1", create("s"))], 1);
    const b = machine();
    b.sm.loadSnapshot({ endOffset: 7 }, a.sm.snapshot());
    expect([b.store.version, [...b.store.current.topics.keys()]]).toEqual([7, ["s"]]);
  });
});

describe("MetadataStateMachine with an applied-offset file (the quorum's store)", () => {
  test("each applied batch records its end offset; a snapshot at or below the held version is not loaded again", () => {
    const dir = mkdtempSync(join(tmpdir(), "metadata-entries-"));
    dirs.push(dir);
    const store = MetadataStore.open(dir, [{ id: 1, address: "a:1" }], { writeDocument: false });
    const applied = AppliedOffsetFile.open(dir);
    const sm = new MetadataStateMachine(() => store, applied);
    sm.apply([marker(0), data(1, "r1", create("t"))], 2);
    expect(readAppliedOffset(join(dir, APPLIED_OFFSET_FILE))).toBe(2);
    // A snapshot of an older state (what a restart's first Ready hands over again) changes nothing.
    const other = machine();
    other.sm.apply([data(0, "r0", create("old"))], 1);
    sm.loadSnapshot({ endOffset: 2 }, other.sm.snapshot());
    expect([...store.current.topics.keys()]).toEqual(["t"]);
    // A later one replaces the state and is recorded too.
    sm.loadSnapshot({ endOffset: 9 }, other.sm.snapshot());
    expect([store.version, [...store.current.topics.keys()]]).toEqual([9, ["old"]]);
    expect(readAppliedOffset(join(dir, APPLIED_OFFSET_FILE))).toBe(9);
    applied.close();
  });
});
