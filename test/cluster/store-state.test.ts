import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetadataStore } from "../../src/broker/metadata-store.ts";
import { StoreState } from "../../src/cluster/store-state.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store(): MetadataStore {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-store-state-"));
  dirs.push(dir);
  return MetadataStore.open(join(dir, "meta"), [{ id: 1, address: "localhost:1" }]);
}

describe("StoreState", () => {
  test("a snapshot taken from one store is adopted by another, persisted, only if newer", () => {
    const a = store();
    a.apply({ type: "create-topic", topic: "t", topicId: "i", partitions: [{ partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 }], createdAt: 1 });
    const from = new StoreState();
    from.bind(a);
    const b = store();
    const to = new StoreState();
    to.bind(b);
    const wire = to.parse(JSON.parse(JSON.stringify(from.snapshot())));
    expect(wire.version).toBe(1);
    expect(to.install(wire)).toBe(true);
    expect(b.version).toBe(1);
    expect([...b.current.topics.keys()]).toEqual(["t"]);
    expect(to.install(wire)).toBe(false);
    expect(MetadataStore.open(b.dir).version).toBe(1);
  });

  test("something that is not a metadata document is INVALID_REQUEST, and an unbound state holds version 0", () => {
    const state = new StoreState();
    expect(state.version()).toBe(0);
    state.bind(store());
    for (const bad of [null, { version: 3 }, { format: 1, version: 2, brokers: [], topics: [{ name: 1 }] }]) {
      let code: string | undefined;
      try {
        state.parse(bad);
      } catch (error) {
        code = (error as StreamNestError).code;
      }
      expect(code).toBe("INVALID_REQUEST");
    }
  });
});
