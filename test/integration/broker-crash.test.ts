import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, call, type ClusterAnswer, eventually, get, type MetadataAnswer, post } from "../helpers/cluster-http.ts";

/**
 * kill -9 in a cluster: every message a broker acknowledged over HTTP (through any
 * broker, the leader or not) is readable after the leader restarts, at the offset it was
 * acknowledged with, byte for byte; and the cluster's metadata stays one truth when
 * brokers die, including when one is left alone.
 */

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

interface Sent {
  partition: number;
  offset: number;
  message: string;
  key: string;
  headers: Record<string, string>;
}

interface StoredView {
  offset: number;
  key: string | null;
  message: string;
  headers: Record<string, string>;
}

/** Every record of a partition, read through `via` in pages. */
async function readAll(via: string, topic: string, partition: number): Promise<StoredView[]> {
  const records: StoredView[] = [];
  for (let offset = 0; ; ) {
    const page = await get<{ records: StoredView[]; next_offset: number }>(
      via,
      `/topics/${topic}/partitions/${partition}/records?offset=${offset}&max=5000`,
    );
    expect(page.status).toBe(200);
    if (page.body.records.length === 0) return records;
    records.push(...page.body.records);
    offset = page.body.next_offset;
  }
}

function content(i: number): Omit<Sent, "partition" | "offset"> {
  // Multi-byte UTF-8 of 2, 3 and 4 bytes, quotes, a newline, and a size that varies.
  return {
    message: `m${i} ünïcödé 中文 🚀 "q" \\ \n ${"é".repeat(i % 97)}`,
    key: `key-${i}-ß`,
    headers: { trace: `t-${i}-日本`, empty: "" },
  };
}

describe("kill -9 of a leader while producing through every broker", () => {
  test("every acknowledged message is readable after the restart, at its offset, byte for byte", async () => {
    cluster = await startCluster(3);
    await allAlive(cluster);
    const c = cluster;
    // One copy each: what is checked is that the killed leader's own disk kept every
    // acknowledged message, and that only its partition was refused meanwhile (a
    // replicated partition fails over instead: replication-failover.test.ts).
    expect(await post(c.broker(1), "/create-topic", { topic: "crash", partitions: 3, replication_factor: 1 })).toEqual({
      status: 200,
      body: { status: "created" },
    });
    const victim = c.broker(2); // leads partition 1
    const acked: Sent[] = [];
    const refusals = new Map<string, number>();
    /** Messages of the 504s: produces in flight to broker 2 when it died, whose outcome is unknown. */
    const unknown: string[] = [];
    let next = 0;
    let killed: Promise<void> | undefined;
    let afterKill = 0;
    // Eight producers, each message through a broker other than its partition's leader
    // where possible, single messages and batches mixed; broker 2 is killed mid-stream.
    const worker = async (): Promise<void> => {
      while (afterKill < 400) {
        const i = next++;
        const partition = i % 3;
        const via = c.broker(((partition + 1 + (i % 2)) % 3) + 1);
        if (via === victim && killed) continue;
        const batch = i % 5 === 0;
        const items = batch ? [0, 1, 2].map((j) => content(i * 10 + j)) : [content(i * 10)];
        const body = batch
          ? { topic: "crash", messages: items.map((m) => ({ ...m, partition })) }
          : { topic: "crash", ...items[0], partition };
        let answer;
        try {
          answer = await call<unknown>(via, "POST", "/produce", body);
        } catch {
          // Only a request in flight to the killed broker itself may break off.
          expect(via).toBe(victim);
          continue;
        }
        if (killed) afterKill++;
        const results = batch
          ? answer.status === 200
            ? (answer.body as { results: Array<{ partition: number; offset: number }> }).results
            : []
          : answer.status === 200
            ? [answer.body as { partition: number; offset: number }]
            : [];
        if (answer.status !== 200) {
          const error = (answer.body as { error: string }).error;
          if (answer.status === 504) unknown.push((answer.body as { message: string }).message);
          refusals.set(`${answer.status} ${error} p${partition}`, (refusals.get(`${answer.status} ${error} p${partition}`) ?? 0) + 1);
          continue;
        }
        results.forEach((r, j) => {
          expect(r.partition).toBe(partition);
          acked.push({ partition, offset: r.offset, ...items[j] });
        });
        if (!killed && acked.length >= 600) killed = victim.kill9();
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await killed;
    // Only the dead leader's partition was refused, and only as unavailable; a produce
    // forwarded to it before it died and broken off is an unknown outcome, said as such
    // (504), at most one per producer.
    expect([...refusals.keys()].filter((k) => k !== "504 REQUEST_TIMED_OUT p1")).toEqual(["503 LEADER_UNAVAILABLE p1"]);
    expect(unknown.length).toBeLessThanOrEqual(8);
    for (const message of unknown) expect(message).toMatch(/^(no message was acknowledged: )?the outcome is unknown: /);
    expect(acked.filter((s) => s.partition === 1).length).toBeGreaterThan(0);
    // The others said once that broker 2 is unreachable, not a stack trace per refusal.
    for (const id of [1, 3]) {
      await c.broker(id).waitForOutput(`Broker 2 at ${victim.address} is unreachable`);
      expect(c.broker(id).output).not.toContain("StreamNestError");
      expect(c.broker(id).output).not.toContain("POST /produce");
    }

    await victim.start();
    await allAlive(c);
    const stored = new Map<number, StoredView[]>();
    for (const p of [0, 1, 2]) {
      // Read through a broker that does not lead the partition.
      stored.set(p, await readAll(c.broker(((p + 1) % 3) + 1).url, "crash", p));
      // Offsets are dense from 0: nothing lost in the middle, nothing written twice.
      expect(stored.get(p)?.map((r) => r.offset)).toEqual(Array.from({ length: stored.get(p)?.length ?? 0 }, (_, i) => i));
    }
    const seen = new Set<string>();
    for (const sent of acked) {
      const id = `${sent.partition}:${sent.offset}`;
      expect(seen.has(id)).toBe(false);
      seen.add(id);
      const record = stored.get(sent.partition)?.[sent.offset];
      expect(record && { offset: record.offset, key: record.key, message: record.message, headers: record.headers }).toEqual({
        offset: sent.offset,
        key: sent.key,
        message: sent.message,
        headers: sent.headers,
      });
    }
    // The restarted leader appends after what it had.
    const end = stored.get(1)?.length ?? 0;
    expect(await post(c.broker(3), "/produce", { topic: "crash", message: "after", partition: 1 })).toEqual({
      status: 200,
      body: { offset: end, partition: 1 },
    });
  });
});

describe("metadata when brokers die", () => {
  test("a broker left alone refuses topic changes with a clear 503; the cluster keeps one truth", async () => {
    cluster = await startCluster(3);
    await allAlive(cluster);
    const c = cluster;
    const [one, two, three] = [c.broker(1), c.broker(2), c.broker(3)];
    // Single-copy topics: the metadata compared below is the topics' own, not ISR changes
    // and elections that brokers dying and returning set off in replicated partitions.
    expect((await post(one, "/create-topic", { topic: "kept", partitions: 3, replication_factor: 1 })).status).toBe(200);
    await two.kill9();
    await three.kill9();
    // Right after the kills broker 1 may still lead (or follow) the quorum, and a change it
    // took then has an unknown outcome (quorum-no-majority.test.ts); once its fetch
    // timeout has passed it knows no leader, and refuses at once.
    await eventually(async () => (await get<ClusterAnswer>(one, "/cluster")).body.quorum?.leader === null, "broker 1 knowing no quorum leader");
    const refused = await post<{ error: string; message: string }>(one, "/create-topic", { topic: "alone", partitions: 1, replication_factor: 1 });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe("NOT_CONTROLLER");
    expect(refused.body.message).toStartWith("no metadata quorum leader could be reached within 4500 ms (");
    expect(refused.body.message).toContain("needs a majority (2) up of the controller voters 1, 2, 3");
    const deleteRefused = await call<{ error: string }>(one, "DELETE", "/topics/kept");
    expect([deleteRefused.status, deleteRefused.body.error]).toEqual([503, "NOT_CONTROLLER"]);
    // Broker 1 is killed too; 2 and 3 come back first and are a majority without it.
    await one.kill9();
    await two.start();
    await three.start();
    await eventually(async () => (await post(two, "/create-topic", { topic: "later", partitions: 1, replication_factor: 1 })).status === 200, "2 and 3 take changes");
    await one.start();
    await allAlive(c);
    // Broker 1 fetches what it missed from the quorum leader; then all hold one history.
    let answers: Array<{ body: MetadataAnswer }> = [];
    await eventually(async () => {
      answers = await Promise.all(c.brokers.map((b) => get<MetadataAnswer>(b, "/metadata")));
      return answers.every((a) => JSON.stringify(a.body) === JSON.stringify(answers[0].body));
    }, "every broker holding one metadata version");
    for (const a of answers) expect(a.body).toEqual(answers[0].body);
    expect(Object.keys(answers[0].body.topic_partitions).sort()).toEqual(["kept", "later"]);
  });

  test("a topic deleted while a broker was down has that broker's partition folders removed when it returns", async () => {
    cluster = await startCluster(3);
    await allAlive(cluster);
    const three = cluster.broker(3);
    expect((await post(cluster.broker(1), "/create-topic", { topic: "doomed", partitions: 3 })).status).toBe(200);
    expect(await post(cluster.broker(1), "/produce", { topic: "doomed", message: "old", partition: 2 })).toEqual({
      status: 200,
      body: { offset: 0, partition: 2 },
    });
    expect(existsSync(join(three.dataDir, "doomed-2"))).toBe(true);
    await three.kill9();
    expect((await call(cluster.broker(2), "DELETE", "/topics/doomed")).status).toBe(200);
    await three.start();
    // It serves what its own metadata log holds until it has fetched the deletion from
    // the quorum leader; applying it removes the folder.
    await eventually(async () => (await get<{ topics: string[] }>(three, "/list-topics")).body.topics.length === 0, "broker 3 applying the deletion");
    expect(await get(three, "/list-topics")).toEqual({ status: 200, body: { topics: [] } });
    expect(existsSync(join(three.dataDir, "doomed-2"))).toBe(false);
    // The deletion reached it as the log's delete-topic entry (applied like any delete,
    // so no "no longer in metadata" warning of a whole document adopted): it now holds the
    // version the others hold.
    const versionOf = async (b: typeof three) => (await get<MetadataAnswer>(b, "/metadata")).body.version;
    await eventually(async () => (await versionOf(three)) === (await versionOf(cluster!.broker(2))), "broker 3 at the others' metadata version");
    // Created again, the topic of that name is a new one: its partition on broker 3 starts empty.
    expect((await post(cluster.broker(2), "/create-topic", { topic: "doomed", partitions: 3 })).status).toBe(200);
    expect(await get(three, "/consume?topic=doomed&partition=2&offset=0")).toEqual({ status: 204, body: undefined });
    expect(await post(cluster.broker(1), "/produce", { topic: "doomed", message: "new", partition: 2 })).toEqual({
      status: 200,
      body: { offset: 0, partition: 2 },
    });
  });
});

describe("a live tail through another broker when the leader is killed", () => {
  test("ends with an error event naming the leader, not a socket error", async () => {
    cluster = await startCluster(3);
    await allAlive(cluster);
    const three = cluster.broker(3);
    expect((await post(cluster.broker(1), "/create-topic", { topic: "tailed", partitions: 3 })).status).toBe(200);
    expect((await post(cluster.broker(1), "/produce", { topic: "tailed", message: "first", partition: 2 })).status).toBe(200);
    const res = await fetch(`${cluster.broker(1).url}/topics/tailed/partitions/2/records/stream?offset=0`);
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes('"message":"first"')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before the first record:\n${text}`);
      text += decoder.decode(value, { stream: true });
    }
    await three.kill9();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const events = text.split("\n\n").filter((e) => e.startsWith("event: error"));
    expect(events.length).toBe(1);
    const data = JSON.parse(events[0].slice(events[0].indexOf("data: ") + 6)) as { error: string; message: string };
    expect(data.error).toBe("LEADER_UNAVAILABLE");
    expect(data.message).toStartWith(`partition 2 of topic "tailed" is led by broker 3 (${three.address}), which broke off the stream`);
  });
});
