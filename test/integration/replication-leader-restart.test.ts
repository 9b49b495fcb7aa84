import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, eventually, get, post } from "../helpers/cluster-http.ts";
import { replicatedTopic } from "../helpers/replication.ts";

/**
 * Issue 12's high watermark on a leader that restarts (kill -9, started again at once):
 * it comes back with the high watermark of its last checkpoint, which may lag what it had
 * shown, and learns the real one as its followers fetch (Kafka's leaders do the same; a
 * Fetch past a lagging high watermark answers no records, not an error). Readers through
 * every broker, during that window and after, must neither get an error other than a
 * retriable "no leader right now" nor miss a record: every read from 0 is a prefix of
 * what was acknowledged, reads past it wait, and every acknowledged record comes back.
 */

let cluster: TestCluster;
const TOPIC = "restarted";
const acked: string[] = [];

beforeAll(async () => {
  cluster = await startCluster(3);
  await allAlive(cluster);
  expect((await post(cluster.broker(2), "/create-topic", { topic: TOPIC, partitions: 1, replication_factor: 3 })).status).toBe(200);
});
afterAll(async () => {
  await cluster?.stop();
});

type Refusal = { error: string; message: string };
/** While the leader is down or moving: the only errors a reader may see (retriable, nothing lost). */
const NO_LEADER_NOW = new Set(["LEADER_UNAVAILABLE", "NOT_LEADER_OR_FOLLOWER"]);

interface Observation {
  via: number;
  what: string;
  status: number;
  body: unknown;
}

/** Reads through broker `via` as a consumer that was shown every acknowledged record so far would. */
async function readThrough(via: number, shown: number, seen: Observation[]): Promise<void> {
  const broker = cluster.broker(via);
  const records = await get(broker, `/topics/${TOPIC}/partitions/0/records?offset=0&max=1000`);
  seen.push({ via, what: "records from 0", status: records.status, body: records.body });
  const next = await get(broker, `/consume?topic=${TOPIC}&partition=0&offset=${shown}`);
  seen.push({ via, what: `consume at ${shown}`, status: next.status, body: next.body });
  const past = await get(broker, `/topics/${TOPIC}/partitions/0/records?offset=${shown}&max=10`);
  seen.push({ via, what: `records at ${shown}`, status: past.status, body: past.body });
  seen.push({ via, what: "stream from the end", ...(await streamStart(broker.url)) });
}

/** Opens a live tail from the end and reads its first line, `: streaming from offset N` (or its error). */
async function streamStart(url: string): Promise<{ status: number; body: unknown }> {
  const stop = new AbortController();
  try {
    const res = await fetch(`${url}/topics/${TOPIC}/partitions/0/records/stream`, { signal: stop.signal });
    if (res.status !== 200) return { status: res.status, body: await res.json() };
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    return { status: 200, body: text.split("\n")[0] };
  } finally {
    stop.abort();
  }
}

/** Whether `o` is a refusal a reader may meet while the partition has no leader (retriable, nothing lost). */
function noLeaderNow(o: Observation): boolean {
  return o.status === 503 && NO_LEADER_NOW.has((o.body as Refusal).error);
}

/**
 * What a consumer that was shown every acknowledged record may see: all of them again
 * from 0 (never fewer: the high watermark never goes backward for what it was shown),
 * nothing yet past them, a tail from the end starting after them; or, while no broker
 * leads the partition, a retriable 503.
 */
function expectNoHarm(seen: readonly Observation[]): void {
  const shown = acked.length;
  for (const o of seen) {
    if (noLeaderNow(o)) continue;
    const what = { via: o.via, what: o.what };
    if (o.what === "records from 0") {
      const body = o.body as { records: Array<{ offset: number; message: string }>; end_offset: number };
      expect({ ...what, status: o.status, end: body.end_offset }).toEqual({ ...what, status: 200, end: shown });
      expect(body.records.map((r) => [r.offset, r.message])).toEqual(acked.map((m, i) => [i, m]));
    } else if (o.what.startsWith("consume")) {
      expect({ ...what, status: o.status }).toEqual({ ...what, status: 204 });
    } else if (o.what.startsWith("records at")) {
      const body = o.body as { records: unknown[]; end_offset: number };
      expect({ ...what, status: o.status, records: body.records, end: body.end_offset }).toEqual({ ...what, status: 200, records: [], end: shown });
    } else {
      expect({ ...what, status: o.status, body: o.body }).toEqual({ ...what, status: 200, body: `: streaming from offset ${shown}` });
    }
  }
}

describe("a replicated partition's leader restarts", () => {
  test("acknowledged records are readable through every broker", async () => {
    const batch = Array.from({ length: 50 }, (_, i) => ({ message: `m-${i}`, partition: 0 }));
    const answer = await post<{ results: Array<{ offset: number }> }>(cluster.broker(1), "/produce", { topic: TOPIC, messages: batch, acks: "all" });
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((r) => r.offset)).toEqual(batch.map((_, i) => i));
    acked.push(...batch.map((b) => b.message));
    const seen: Observation[] = [];
    for (const via of [1, 2, 3]) await readThrough(via, acked.length, seen);
    expect(seen.filter(noLeaderNow)).toEqual([]);
    expectNoHarm(seen);
    // A group that consumed them all commits that (its coordinator may be any broker).
    let commit = await post(cluster.broker(2), "/groups/readers/offsets", { offsets: [{ topic: TOPIC, partition: 0, offset: acked.length }] });
    for (let tries = 0; commit.status === 503 && tries < 20; tries++) {
      await Bun.sleep(250);
      commit = await post(cluster.broker(2), "/groups/readers/offsets", { offsets: [{ topic: TOPIC, partition: 0, offset: acked.length }] });
    }
    expect(commit.status).toBe(200);
  });

  test("kill -9 of the leader and a restart at once: no reader gets an error or misses a record, through any broker", async () => {
    expect((await replicatedTopic(cluster.broker(1), TOPIC)).partitions[0].leader).toBe(1);
    const seen: Observation[] = [];
    await cluster.broker(1).kill9();
    const restarted = cluster.broker(1).start();
    let settled = false;
    void restarted.then(() => (settled = true));
    // Through the two brokers that stay up while broker 1 is down and starting…
    while (!settled) {
      for (const via of [2, 3]) await readThrough(via, acked.length, seen);
      await Bun.sleep(20);
    }
    // …then through all three, until every broker shows the partition whole again and the
    // restarted one has served every kind of read. Both, not the first alone: a round in
    // which broker 1 served the records whole while it gave up leading (the quorum fencing
    // its old incarnation) answered its other reads "no leader now", and the loop stopped
    // there (CI, once).
    const servedBy1 = (): Set<string> => new Set(seen.filter((o) => o.via === 1 && !noLeaderNow(o)).map((o) => o.what));
    const until = Date.now() + 30_000;
    for (;;) {
      for (const via of [1, 2, 3]) await readThrough(via, acked.length, seen);
      const whole = seen.slice(-12).filter((o) => o.what === "records from 0" && o.status === 200);
      if (whole.length === 3 && whole.every((o) => (o.body as { records: unknown[] }).records.length === acked.length) && servedBy1().size === 4) break;
      if (Date.now() > until) break;
      await Bun.sleep(20);
    }
    // Every kind of read was made through the restarted broker once it was back.
    expect(servedBy1().size).toBe(4);
    expectNoHarm(seen);
  }, 60_000);

  test("after it, nothing is lost: new records reach readers through every broker, the group resumes where it committed", async () => {
    // Long polls at the next offset through each broker, then one more acknowledged record.
    const polls = [1, 2, 3].map((via) => get<{ records: Array<{ offset: number; message: string }> }>(
      cluster.broker(via),
      `/topics/${TOPIC}/partitions/0/records?offset=${acked.length}&timeout_ms=20000`,
    ));
    let answer = await post<{ offset: number; partition: number }>(cluster.broker(3), "/produce", { topic: TOPIC, message: "after", partition: 0 });
    for (let tries = 0; answer.status !== 200 && tries < 50; tries++) {
      if (answer.status === 504) {
        // An unknown outcome: broker 3's forward to the restarted leader broke (a pooled
        // connection to its killed process), so the leader may or may not have it. As a
        // careful producer would, look before sending again, so that "after" is written once.
        expect(answer.body).toMatchObject({ error: "REQUEST_TIMED_OUT", details: { unknownOutcome: true } });
        await Bun.sleep(500);
        const there = await get<{ records: Array<{ offset: number; message: string }> }>(cluster.broker(3), `/topics/${TOPIC}/partitions/0/records?offset=${acked.length}`);
        if (there.status === 200 && there.body.records.length > 0) {
          expect(there.body.records.map((r) => [r.offset, r.message])).toEqual([[acked.length, "after"]]);
          answer = { status: 200, body: { offset: acked.length, partition: 0 } };
          break;
        }
      } else expect(answer.status).toBe(503);
      await Bun.sleep(200);
      answer = await post<{ offset: number; partition: number }>(cluster.broker(3), "/produce", { topic: TOPIC, message: "after", partition: 0 });
    }
    expect(answer).toEqual({ status: 200, body: { offset: acked.length, partition: 0 } });
    for (const poll of await Promise.all(polls))
      expect({ status: poll.status, records: poll.body.records.map((r) => [r.offset, r.message]) }).toEqual({ status: 200, records: [[acked.length, "after"]] });
    acked.push("after");
    for (const via of [1, 2, 3]) {
      // The group's coordinator may be the restarted broker, which answers group calls once
      // it has caught up with the metadata (NOT_COORDINATOR, retriable, until then).
      let committed = await get<{ offsets: Array<{ topic: string; partition: number; offset: number }> }>(cluster.broker(via), "/groups/readers/offsets");
      for (let tries = 0; committed.status !== 200 && tries < 100; tries++) {
        expect(committed.status).toBe(503);
        await Bun.sleep(200);
        committed = await get(cluster.broker(via), "/groups/readers/offsets");
      }
      expect({ via, status: committed.status, offsets: committed.body.offsets.map((o) => [o.topic, o.partition, o.offset]) }).toEqual({
        via,
        status: 200,
        offsets: [[TOPIC, 0, acked.length - 1]],
      });
    }
  }, 60_000);
});
