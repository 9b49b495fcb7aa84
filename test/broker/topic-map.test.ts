import { expect, test } from "bun:test";
import type { TopicMetadata } from "../../src/broker/metadata.ts";
import { TopicMap } from "../../src/broker/topic-map.ts";

const topic = (name: string, createdAt = 0): TopicMetadata => ({ name, id: `${name}-${createdAt}`, partitions: [], schemas: [], createdAt });
const names = (map: ReadonlyMap<string, TopicMetadata>) => [...map.keys()];

test("each version reads as a Map of its own; older versions never change", () => {
  const v0 = TopicMap.of(new Map([["a", topic("a")], ["b", topic("b")]]));
  const v1 = v0.with(new Map([["c", topic("c")], ["a", topic("a", 1)]]));
  const v2 = v1.with(new Map<string, TopicMetadata | null>([["b", null], ["d", topic("d")]]));
  expect([names(v0), v0.size, v0.get("a")!.createdAt]).toEqual([["a", "b"], 2, 0]);
  expect([names(v1), v1.size, v1.get("a")!.createdAt]).toEqual([["a", "b", "c"], 3, 1]);
  expect([names(v2), v2.size, v2.has("b"), v2.get("b")]).toEqual([["a", "c", "d"], 3, false, undefined]);
  // Every way of reading agrees.
  expect([...v2.values()].map((t) => t.name)).toEqual(["a", "c", "d"]);
  expect([...v2].map(([k]) => k)).toEqual(["a", "c", "d"]);
  const seen: string[] = [];
  v2.forEach((value, key, map) => {
    expect(map).toBe(v2);
    seen.push(`${key}:${value.createdAt}`);
  });
  expect(seen).toEqual(["a:1", "c:0", "d:0"]);
  expect(new Map(v2)).toEqual(new Map([["a", topic("a", 1)], ["c", topic("c")], ["d", topic("d")]]));
});

test("a deleted name set again counts once; removing an absent name changes nothing", () => {
  const v0 = TopicMap.of(new Map([["a", topic("a")]]));
  const v1 = v0.with(new Map([["a", null]]));
  const v2 = v1.with(new Map([["a", topic("a", 2)]]));
  const v3 = v2.with(new Map([["zz", null]]));
  expect([v1.size, v2.size, v3.size, v2.get("a")!.createdAt]).toEqual([0, 1, 1, 2]);
  expect(v0.with(new Map())).toBe(v0);
});

test("thousands of versions, one change each, agree with a plain Map changed alike", () => {
  const plain = new Map<string, TopicMetadata>();
  let map = TopicMap.of(new Map());
  const versions: Array<{ map: TopicMap; names: string[] }> = [];
  for (let i = 0; i < 3000; i++) {
    const name = `t-${i % 1700}`;
    const remove = i % 7 === 0 && plain.has(name);
    if (remove) plain.delete(name);
    else plain.set(name, topic(name, i));
    map = map.with(new Map([[name, remove ? null : topic(name, i)]]));
    if (i % 500 === 0) versions.push({ map, names: [...plain.keys()].sort() });
    expect(map.size).toBe(plain.size);
  }
  expect(new Map([...map].sort())).toEqual(new Map([...plain].sort()));
  for (const v of versions) expect(names(v.map).sort()).toEqual(v.names);
});
