import { afterEach, describe, expect, test } from "bun:test";
import { encodeOffsetsEntry } from "../../src/groups/offsets-records.ts";
import { OffsetStore } from "../../src/groups/offset-store.ts";
import { TempLogs } from "./temp-logs.ts";

let logs: TempLogs;
afterEach(async () => {
  await logs.dispose();
});

const commit = (topic: string, partition: number, offset: number, metadata = "") => ({ topic, partition, offset, metadata });

describe("OffsetStore over a real __consumer_offsets partition log", () => {
  test("commits are visible after the append, one record per partition, in one write", async () => {
    logs = new TempLogs();
    const log = logs.log("__consumer_offsets-0");
    const store = OffsetStore.open(log);
    const result = await store.commit("g", [commit("t", 0, 5, "m"), commit("t", 1, 9)], 1000);
    expect(result).toEqual([
      { topic: "t", partition: 0, offset: 5, metadata: "m", commitTimestamp: 1000 },
      { topic: "t", partition: 1, offset: 9, metadata: "", commitTimestamp: 1000 },
    ]);
    expect(log.endOffset).toBe(2);
    expect(store.committed("g", "t", 1)).toEqual({ topic: "t", partition: 1, offset: 9, metadata: "", commitTimestamp: 1000 });
    expect(store.committed("g", "t", 2)).toBeUndefined();
    expect(store.committed("other", "t", 0)).toBeUndefined();
    expect(store.groupIds()).toEqual(["g"]);
  });

  test("reopening rebuilds exactly the newest value per key, tombstones applied", async () => {
    logs = new TempLogs();
    let log = logs.log("__consumer_offsets-3");
    const store = OffsetStore.open(log);
    await store.commit("a", [commit("t", 0, 1), commit("t", 1, 1)], 1);
    await store.commit("a", [commit("t", 0, 10, "later")], 2);
    await store.commit("b", [commit("u", 2, 7)], 3);
    await store.saveMetadata("a", { generation: 4, assignor: "roundrobin" }, 4);
    await store.commit("c", [commit("t", 0, 3)], 5);
    const deleted = await store.deleteOffsets("c", undefined, true, 6);
    expect(deleted).toEqual([{ topic: "t", partition: 0 }]);
    await store.deleteOffsets("a", ["t"], false, 7).then(() => store.commit("a", [commit("t", 1, 20)], 8));
    const before = { a: store.offsetsOf("a"), b: store.offsetsOf("b"), groups: store.groupIds() };
    await logs.close(log);

    log = logs.log("__consumer_offsets-3");
    const reopened = OffsetStore.open(log);
    expect(reopened.groupIds()).toEqual(["a", "b"]);
    expect(reopened.offsetsOf("a")).toEqual([{ topic: "t", partition: 1, offset: 20, metadata: "", commitTimestamp: 8 }]);
    expect(reopened.offsetsOf("b")).toEqual([{ topic: "u", partition: 2, offset: 7, metadata: "", commitTimestamp: 3 }]);
    expect(reopened.metadataOf("a")).toEqual({ generation: 4, assignor: "roundrobin" });
    expect(reopened.hasGroup("c")).toBe(false);
    expect({ a: reopened.offsetsOf("a"), b: reopened.offsetsOf("b"), groups: reopened.groupIds() }).toEqual(before);
    expect(reopened.replayedRecords).toBe(log.endOffset);
  });

  test("a group whose offsets and metadata are all deleted is gone; deleting one topic keeps the rest", async () => {
    logs = new TempLogs();
    const store = OffsetStore.open(logs.log("p"));
    await store.commit("g", [commit("x", 0, 1), commit("y", 0, 2)], 1);
    await store.saveMetadata("g", { generation: 1, assignor: "range" }, 1);
    expect(await store.deleteOffsets("g", ["x"], false, 2)).toEqual([{ topic: "x", partition: 0 }]);
    expect(store.offsetsOf("g").map((o) => o.topic)).toEqual(["y"]);
    expect(await store.deleteOffsets("g", undefined, false, 3)).toEqual([{ topic: "y", partition: 0 }]);
    expect(store.hasGroup("g")).toBe(true);
    expect(await store.deleteOffsets("g", undefined, true, 4)).toEqual([]);
    expect(store.hasGroup("g")).toBe(false);
  });

  test("replays thousands of commits across many read batches", async () => {
    logs = new TempLogs();
    let log = logs.log("big");
    const store = OffsetStore.open(log);
    for (let i = 0; i < 50; i++) {
      const batch = Array.from({ length: 100 }, (_, p) => commit("t", p, i * 1000 + p));
      await store.commit(`g${i % 5}`, batch, i);
    }
    expect(log.endOffset).toBe(5000);
    await logs.close(log);
    log = logs.log("big");
    const reopened = OffsetStore.open(log);
    expect(reopened.replayedRecords).toBe(5000);
    for (let g = 0; g < 5; g++) {
      const offsets = reopened.offsetsOf(`g${g}`);
      expect(offsets.length).toBe(100);
      // the last commit of group g was round i = 45 + g
      expect(offsets.every((o) => o.offset === (45 + g) * 1000 + o.partition)).toBe(true);
    }
  });

  test("foreign or damaged records are skipped with a warning, the rest still loads", async () => {
    logs = new TempLogs();
    let log = logs.log("mixed");
    const enc = new TextEncoder();
    await log.append([
      encodeOffsetsEntry({ kind: "offset", group: "g", topic: "t", partition: 0, value: { offset: 3, metadata: "", commitTimestamp: 1 } }, 1),
      { key: enc.encode("garbage"), value: enc.encode("{"), headers: [], timestamp: 1 },
      { key: null, value: enc.encode("x"), headers: [], timestamp: 1 },
      encodeOffsetsEntry({ kind: "offset", group: "g", topic: "t", partition: 1, value: { offset: 4, metadata: "", commitTimestamp: 2 } }, 2),
    ]);
    await logs.close(log);
    log = logs.log("mixed");
    const warnings: string[] = [];
    const store = OffsetStore.open(log, (m) => warnings.push(m));
    expect(store.offsetsOf("g").map((o) => o.offset)).toEqual([3, 4]);
    expect(store.skippedRecords).toBe(2);
    expect(warnings).toEqual([
      "__consumer_offsets: skipping record at offset 1: record is not UTF-8 JSON",
      "__consumer_offsets: skipping record at offset 2: record has no key",
    ]);
  });

  test("a commit whose append fails is not visible", async () => {
    logs = new TempLogs();
    const log = logs.log("closing");
    const store = OffsetStore.open(log);
    await store.commit("g", [commit("t", 0, 1)], 1);
    await logs.close(log);
    await expect(store.commit("g", [commit("t", 0, 2)], 2)).rejects.toThrow();
    expect(store.committed("g", "t", 0)?.offset).toBe(1);
  });
});
