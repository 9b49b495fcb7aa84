import { afterEach, expect, test } from "bun:test";
import http from "node:http";
import { type BrokerProcess, startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * Hundreds of readers parked on a broker that does not lead their partition, on brokers
 * started one by one (as `broker --id --peers` by hand), which do not get the launcher's
 * lifted fetch cap: each forwarded long poll and each forwarded live tail holds a call to
 * the leader for its whole life, and Bun's fetch runs at most 256 at once per process.
 * The broker's other calls to its peers (a forwarded produce, heartbeats) must not wait
 * behind them.
 */

const POLLS = 300;
const STREAMS = 300;

let cluster: TestCluster | undefined;
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const open = new Set<http.ClientRequest>();

afterEach(async () => {
  for (const request of open) request.destroy();
  open.clear();
  await cluster?.stop();
  cluster = undefined;
});

/**
 * A GET through node:http: this test process has fetch's cap too. `done` decides from
 * the body so far when the reader has what it waited for (a stream never ends by itself).
 */
function get(
  broker: BrokerProcess,
  path: string,
  done: (body: string) => boolean = () => false,
): { answer: Promise<{ status: number; body: string }>; abort: () => void } {
  let request: http.ClientRequest | undefined;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request = http.get({ host: "127.0.0.1", port: broker.port, path, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        if (done(body)) {
          resolve({ status: res.statusCode ?? 0, body });
          request?.destroy();
        }
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    open.add(request);
    request.on("error", reject);
    request.on("close", () => open.delete(request as http.ClientRequest));
  });
  return {
    answer,
    abort: () => request?.destroy(),
  };
}

async function post(broker: BrokerProcess, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${broker.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function gauges(broker: BrokerProcess): Promise<{ fetches: number; streams: number }> {
  const text = await (await fetch(`${broker.url}/metrics`)).text();
  const value = (name: string): number => {
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
  };
  return { fetches: value("streamnest_waiting_fetches"), streams: value("streamnest_active_streams") };
}


test(
  `${POLLS} forwarded long polls and ${STREAMS} forwarded live tails leave the forwarding broker's other peer calls working`,
  async () => {
    cluster = await startCluster(3);
    const [leader, proxy, other] = [cluster.broker(1), cluster.broker(2), cluster.broker(3)];
    // Round-robin placement: partition 0 on broker 1, partition 2 on broker 3.
    // One copy each: what is measured is the forwarding broker's peer calls, not the ISR
    // of replicated partitions on brokers holding 600 parked readers.
    expect(await post(proxy, "/create-topic", { topic: "s", partitions: 3, replication_factor: 1 })).toEqual({ status: 200, body: { status: "created" } });

    const polls = Array.from({ length: POLLS }, () => get(proxy, "/topics/s/partitions/0/records?offset=0&timeout_ms=30000"));
    const streams = Array.from({ length: STREAMS }, () =>
      get(proxy, "/topics/s/partitions/0/records/stream?offset=0", (body) => {
        const event = body.indexOf("event: record");
        return event >= 0 && body.includes("\n\n", event);
      }),
    );
    for (const r of [...polls, ...streams]) r.answer.catch(() => undefined);
    // More than fetch's old cap already holds the forwarding broker's calls to the leader.
    await untilTrue("256 forwarded reads parked on the leader", async () => {
      const g = await gauges(leader);
      return g.fetches + g.streams >= 256;
    });

    // Forwarded to the third broker, which none of the parked readers involve.
    expect(await post(proxy, "/produce", { topic: "s", message: "to the third", partition: 2 })).toEqual({
      status: 200,
      body: { offset: 0, partition: 2 },
    });
    await untilTrue(`all ${POLLS} polls and ${STREAMS} tails parked on the leader`, async () => {
      const g = await gauges(leader);
      return g.fetches === POLLS && g.streams === STREAMS;
    });
    // Handed to the metadata quorum leader while every reader is parked on the partition leader.
    expect(await post(proxy, "/create-topic", { topic: "later", partitions: 1 })).toEqual({ status: 200, body: { status: "created" } });

    const status = (await (await fetch(`${proxy.url}/cluster`)).json()) as { brokers: { id: number; alive: boolean }[] };
    expect(status.brokers.map((b) => [b.id, b.alive])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);

    expect(await post(other, "/produce", { topic: "s", message: "wake", partition: 0 })).toEqual({
      status: 200,
      body: { offset: 0, partition: 0 },
    });
    for (const answer of await Promise.all(polls.map((p) => p.answer))) {
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.body) as { records: { offset: number; message: string }[]; next_offset: number };
      expect(body.records.map((r) => [r.offset, r.message])).toEqual([[0, "wake"]]);
      expect(body.next_offset).toBe(1);
    }
    for (const answer of await Promise.all(streams.map((s) => s.answer))) {
      expect(answer.status).toBe(200);
      const event = answer.body.slice(answer.body.indexOf("id: "));
      expect(event.slice(0, event.indexOf("data: "))).toBe("id: 0\nevent: record\n");
      const data = JSON.parse(event.slice(event.indexOf("data: ") + 6, event.indexOf("\n\n"))) as { offset: number; message: string };
      expect([data.offset, data.message]).toEqual([0, "wake"]);
    }
    // Every tail's client is gone: the leader frees its readers.
    await untilTrue("the leader's tails to close", async () => (await gauges(leader)).streams === 0);
    expect(await gauges(leader)).toEqual({ fetches: 0, streams: 0 });
    expect(await gauges(proxy)).toEqual({ fetches: 0, streams: 0 });

    // Long polls whose clients leave before any record comes free the leader's readers too.
    const leaving = Array.from({ length: POLLS }, () => get(proxy, "/topics/s/partitions/0/records?offset=1&timeout_ms=30000"));
    for (const r of leaving) r.answer.catch(() => undefined);
    await untilTrue(`${POLLS} new polls parked on the leader`, async () => (await gauges(leader)).fetches === POLLS);
    for (const r of leaving) r.abort();
    await untilTrue("the leader's polls to be released", async () => (await gauges(leader)).fetches === 0);
    expect(await gauges(leader)).toEqual({ fetches: 0, streams: 0 });
    expect(await gauges(proxy)).toEqual({ fetches: 0, streams: 0 });
  },
  60_000,
);
