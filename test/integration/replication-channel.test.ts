import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { BrokerCallAuth } from "../../src/auth/broker-call-auth.ts";
import { decodeFetchAnswer, encodeFetchRequest } from "../../src/cluster/replication/fetch-wire.ts";
import { decodeAnswer, encodeCall } from "../../src/lib/channel-frames.ts";
import { BROKER_AUTH_HEADER, INTERNAL_ROUTES } from "../../src/lib/internal-routes.ts";
import { type BrokerProcess, startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, call, eventually, get, post, requestCount } from "../helpers/cluster-http.ts";
import { replicatedTopic } from "../helpers/replication.ts";
import { signedInternalHeaders } from "../helpers/signed-internal-call.ts";

/**
 * Followers send their replica fetches over one WebSocket per leader (the replication
 * channel: cluster/peer-channel.ts, http/replica-channel.ts), each call signed and
 * checked as the POST route's is; with worker threads on a leader's port, the one that
 * takes the upgrade relays the channel to the thread that owns the logs.
 */

const CHANNEL = INTERNAL_ROUTES.replicaChannel;
const FETCH = INTERNAL_ROUTES.replicaFetch;

/** Produces `n` messages with acks=all to partition 0 of `topic` through `via`; each must be acknowledged. */
async function produceAll(via: BrokerProcess, topic: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const answer = await post<{ offset: number }>(via, "/produce", { topic, partition: 0, acks: "all", message: `m-${i}` });
    expect([answer.status, answer.body.offset]).toEqual([200, i]);
  }
}

/** Opens a WebSocket and resolves once it is open or has failed (with the failure's message). */
function openSocket(url: string, headers: Record<string, string>): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> } | { error: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.binaryType = "arraybuffer";
    const closed = new Promise<{ code: number; reason: string }>((done) => (ws.onclose = (e) => done({ code: e.code, reason: e.reason })));
    ws.onopen = () => resolve({ ws, closed });
    ws.onerror = (e) => resolve({ error: (e as ErrorEvent).message });
  });
}

function nextMessage(ws: WebSocket): Promise<Uint8Array> {
  return new Promise((resolve) => ws.addEventListener("message", (e) => resolve(new Uint8Array(e.data as ArrayBuffer)), { once: true }));
}

for (const workers of [1, 2])
describe(workers === 1 ? "with --workers=1 (this machine's default)" : "with --workers=2: the worker thread that takes the upgrade relays the channel to the owner", () => {
  let cluster: TestCluster;
  let secret: string;

  beforeAll(async () => {
    cluster = await startCluster(3, { args: [`--workers=${workers}`] });
    secret = cluster.broker(1).options.secret ?? "";
    await allAlive(cluster);
    expect((await post(cluster.broker(1), "/create-topic", { topic: "over-channel", partitions: 1 })).status).toBe(200);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test("acks=all produces are acknowledged once followers fetched them over the channel, not over POSTs", async () => {
    const topic = await replicatedTopic(cluster.broker(1), "over-channel");
    expect(topic.partitions[0].leader).toBe(1);
    await produceAll(cluster.broker(1), "over-channel", 20);
    const leader = cluster.broker(1);
    // Both followers opened a channel to the leader; their fetches were calls on it.
    expect(await requestCount(leader, "GET", CHANNEL, 101)).toBeGreaterThanOrEqual(2);
    expect(await requestCount(leader, "WS", CHANNEL, 200)).toBeGreaterThanOrEqual(20);
    expect(await requestCount(leader, "POST", FETCH, 200)).toBe(0);
    const read = await get<{ records: { offset: number; message: string }[] }>(cluster.broker(2), "/topics/over-channel/partitions/0/records?offset=0&max=100");
    expect(read.body.records.map((r) => r.message)).toEqual(Array.from({ length: 20 }, (_, i) => `m-${i}`));
  });

  test("the upgrade needs a signature by a broker of this cluster for this broker; a GET that is no upgrade is 400", async () => {
    const leader = cluster.broker(1);
    const auth = new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: 3 });
    const stranger = new BrokerCallAuth({ secret: `${secret}x`, clusterId: "streamnest", selfId: 3 });
    const unsigned = await call<{ error: string }>(leader, "GET", CHANNEL, undefined);
    expect([unsigned.status, unsigned.body.error]).toEqual([401, "UNAUTHORIZED"]);
    const wrongKey = await call<{ error: string }>(leader, "GET", CHANNEL, undefined, {
      [BROKER_AUTH_HEADER]: stranger.signCall(1, "GET", CHANNEL, "").authorization,
    });
    expect([wrongKey.status, wrongKey.body.error]).toEqual([401, "UNAUTHORIZED"]);
    const forAnother = await call<{ error: string }>(leader, "GET", CHANNEL, undefined, { [BROKER_AUTH_HEADER]: auth.signCall(2, "GET", CHANNEL, "").authorization });
    expect([forAnother.status, forAnother.body.error]).toEqual([401, "UNAUTHORIZED"]);
    const noUpgrade = await call<{ error: string; message: string }>(leader, "GET", CHANNEL, undefined, {
      [BROKER_AUTH_HEADER]: auth.signCall(1, "GET", CHANNEL, "").authorization,
    });
    expect([noUpgrade.status, noUpgrade.body]).toEqual([400, { error: "INVALID_REQUEST", message: `${CHANNEL} takes a WebSocket upgrade only` }]);
    const url = `${leader.url.replace(/^http/, "ws")}${CHANNEL}`;
    expect(await openSocket(url, {})).toEqual({ error: expect.stringContaining("401") });
    expect(await openSocket(url, { [BROKER_AUTH_HEADER]: stranger.signCall(1, "GET", CHANNEL, "").authorization })).toEqual({
      error: expect.stringContaining("401"),
    });
  });

  test("on an open channel every call is checked on its own: another sender's, a replay, a text or broken frame are refused", async () => {
    const leader = cluster.broker(1);
    const auth = new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: 3 });
    const other = new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: 2 });
    const url = `${leader.url.replace(/^http/, "ws")}${CHANNEL}`;
    const open = async () => {
      const opened = await openSocket(url, { [BROKER_AUTH_HEADER]: auth.signCall(1, "GET", CHANNEL, "").authorization });
      if ("error" in opened) throw new Error(opened.error);
      return opened;
    };
    const { ws, closed } = await open();
    // A topic id this leader does not hold: a signed answer that says so.
    const body = encodeFetchRequest({ topic: "over-channel", topicId: "no-such-id", partition: 0, replica: 3, fetchOffset: 0, lastFetchedEpoch: null, leaderEpoch: 0, maxWaitMs: 0 });
    const signed = auth.signCall(1, "POST", FETCH, body);
    const exchange = async (frame: Uint8Array) => {
      const answered = nextMessage(ws);
      ws.send(frame);
      return decodeAnswer(await answered);
    };
    const first = await exchange(encodeCall({ id: 41, authorization: signed.authorization, body }));
    expect([first.id, first.status, first.json]).toEqual([41, 200, false]);
    auth.verifyAnswer(1, signed.nonce, 200, first.body, first.signature);
    expect(decodeFetchAnswer(first.body).head.verdict.kind).toBe("not-leader");
    // The same call again: a replay, refused unsigned.
    const replay = await exchange(encodeCall({ id: 42, authorization: signed.authorization, body }));
    expect([replay.id, replay.status, replay.signature, JSON.parse(new TextDecoder().decode(replay.body))]).toEqual([
      42,
      401,
      "",
      { error: "UNAUTHORIZED", message: "broker request nonce was already used (replay)" },
    ]);
    // Signed by broker 2 on the channel broker 3 opened.
    const foreign = await exchange(encodeCall({ id: 43, authorization: other.signCall(1, "POST", FETCH, body).authorization, body }));
    expect([foreign.status, JSON.parse(new TextDecoder().decode(foreign.body))]).toEqual([
      401,
      { error: "UNAUTHORIZED", message: "a call signed by broker 2 on the channel broker 3 opened" },
    ]);
    // A signature over another body.
    const tampered = await exchange(encodeCall({ id: 44, authorization: auth.signCall(1, "POST", FETCH, new Uint8Array([1])).authorization, body }));
    expect([tampered.id, tampered.status]).toEqual([44, 401]);
    ws.send("text");
    expect(await closed).toEqual({ code: 1003, reason: "the replication channel carries binary frames only" });
    const second = await open();
    second.ws.send(new Uint8Array([7, 7]));
    expect(await second.closed).toEqual({ code: 1002, reason: "not a call frame" });
    // The leader serves on: its followers' channels were not touched.
    const produced = await post<{ offset: number }>(leader, "/produce", { topic: "over-channel", partition: 0, acks: "all", message: "after" });
    expect(produced.status).toBe(200);
  });
});

describe("a leader killed and started again", () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startCluster(3, { args: ["--workers=1"] });
    await allAlive(cluster);
    expect((await post(cluster.broker(1), "/create-topic", { topic: "comes-back", partitions: 1 })).status).toBe(200);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test("its followers open new channels to it once it leads again: no fetch goes over HTTP meanwhile", async () => {
    await produceAll(cluster.broker(1), "comes-back", 5);
    await cluster.broker(1).kill9();
    await cluster.broker(1).start(60_000);
    // Leadership comes back to the preferred replica once it is in the ISR again.
    await eventually(async () => {
      const p = (await replicatedTopic(cluster.broker(2), "comes-back")).partitions[0];
      return p.leader === 1 && p.isr.length === 3;
    }, "broker 1 leading partition 0 again with a full ISR", 60_000);
    for (let i = 5; i < 15; i++) {
      const answer = await post<{ offset: number }>(cluster.broker(1), "/produce", { topic: "comes-back", partition: 0, acks: "all", message: `m-${i}` });
      expect([answer.status, answer.body.offset]).toEqual([200, i]);
    }
    // A new process: its counters began at its start.
    const leader = cluster.broker(1);
    expect(await requestCount(leader, "GET", CHANNEL, 101)).toBeGreaterThanOrEqual(2);
    expect(await requestCount(leader, "WS", CHANNEL, 200)).toBeGreaterThanOrEqual(10);
    expect(await requestCount(leader, "POST", FETCH, 200)).toBe(0);
  });
});

for (const workers of [1, 2])
describe(`a leader stopped gracefully (--workers=${workers})`, () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startCluster(3, { args: [`--workers=${workers}`] });
    await allAlive(cluster);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  // Incident: no follower closes its channel while the leader is up, so a SIGTERM waited
  // out the server's 2 s drain bound and then cut the sockets (1006) on every stop.
  test("closes the channels open to it as going away (1001) while it stops", async () => {
    const leader = cluster.broker(1);
    const auth = new BrokerCallAuth({ secret: leader.options.secret ?? "", clusterId: "streamnest", selfId: 3 });
    const opened = await openSocket(`${leader.url.replace(/^http/, "ws")}${CHANNEL}`, { [BROKER_AUTH_HEADER]: auth.signCall(1, "GET", CHANNEL, "").authorization });
    if ("error" in opened) throw new Error(opened.error);
    const stopping = leader.stop();
    expect(await opened.closed).toEqual({ code: 1001, reason: "the broker is stopping" });
    expect(await stopping).toBe(0);
  });
});

describe("a follower catching up megabytes on several partitions at once", () => {
  let cluster: TestCluster;
  let secret: string;

  beforeAll(async () => {
    cluster = await startCluster(3, { args: ["--workers=1"] });
    secret = cluster.broker(1).options.secret ?? "";
    await allAlive(cluster);
    // Two partitions led by each broker: a follower has two fetches at once on each channel.
    expect((await post(cluster.broker(1), "/create-topic", { topic: "catch-up", partitions: 6 })).status).toBe(200);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Every record of a partition as broker `id` holds it (its own copy, signed internal read), as "offset:message" lines. */
  async function copyOf(id: number, partition: number): Promise<string[]> {
    const lines: string[] = [];
    for (let offset = 0; ; ) {
      const path = `${INTERNAL_ROUTES.replicaRecords}?topic=catch-up&partition=${partition}&offset=${offset}&max=1000`;
      const page = await get<{ records: { offset: number; message: string }[]; next_offset: number; log_end_offset: number }>(
        cluster.broker(id),
        path,
        signedInternalHeaders(secret, id, "GET", path),
      );
      expect(page.status).toBe(200);
      for (const r of page.body.records) lines.push(`${r.offset}:${r.message}`);
      if (page.body.next_offset >= page.body.log_end_offset || page.body.records.length === 0) return lines;
      offset = page.body.next_offset;
    }
  }

  test("answers held back while the follower reads arrive whole and in order: its copies equal the leaders'", async () => {
    await cluster.broker(3).kill9();
    // 4 MB a partition while broker 3 is away (acks=1: the ISR shrinks only after the lag time):
    // fetch answers of up to 4 MB, two at once on a channel, past what a leader lets wait unsent.
    const value = (p: number, i: number) => `p${p}-${i}-${"v".repeat(1000)}`;
    for (let p = 0; p < 6; p++) {
      const leader = (await replicatedTopic(cluster.broker(1), "catch-up")).partitions[p].leader;
      for (let batch = 0; batch < 4; batch++) {
        const messages = Array.from({ length: 1000 }, (_, i) => ({ message: value(p, batch * 1000 + i), partition: p }));
        const answer = await post<{ results: { offset: number }[] }>(cluster.broker(leader === 3 ? 1 : leader), "/produce", { topic: "catch-up", acks: "1", messages });
        expect(answer.status).toBe(200);
      }
    }
    await cluster.broker(3).start(60_000);
    await eventually(async () => (await replicatedTopic(cluster.broker(1), "catch-up")).partitions.every((p) => p.isr.length === 3), "every partition's ISR full again", 90_000);
    for (let p = 0; p < 6; p++) {
      const leader = (await replicatedTopic(cluster.broker(1), "catch-up")).partitions[p].leader;
      const theirs = await copyOf(leader, p);
      expect(theirs.length).toBe(4000);
      for (const id of [1, 2, 3].filter((b) => b !== leader)) expect(await copyOf(id, p)).toEqual(theirs);
    }
  });
});

for (const workers of [1, 2])
describe(`a follower that stops reading its channel (--workers=${workers})`, () => {
  let cluster: TestCluster;
  let secret: string;

  beforeAll(async () => {
    cluster = await startCluster(3, { args: [`--workers=${workers}`] });
    secret = cluster.broker(1).options.secret ?? "";
    await allAlive(cluster);
    expect((await post(cluster.broker(1), "/create-topic", { topic: "slow-reader", partitions: 1 })).status).toBe(200);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /**
   * The topic's id, which no route shows: read from the leader's metadata log, where each
   * change is a JSON document (cluster/change-wire.ts).
   */
  function topicIdOf(broker: BrokerProcess, topic: string): string {
    const pattern = new RegExp(`"type":"create-topic","topic":"${topic}","topicId":"([0-9a-f-]{36})"`);
    const search = (dir: string): string | undefined => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        const found = entry.isDirectory() ? search(path) : pattern.exec(readFileSync(path).toString("latin1"))?.[1];
        if (found !== undefined) return found;
      }
      return undefined;
    };
    const id = search(join(broker.dataDir, "meta"));
    if (id === undefined) throw new Error(`no create-topic of ${topic} in ${broker.dataDir}/meta`);
    return id;
  }

  test("answers wait at the leader while it does not read (50 MB asked for at once), then all come, in order; the channel stays open", async () => {
    const leader = cluster.broker(1);
    for (let batch = 0; batch < 8; batch++) {
      const messages = Array.from({ length: 1000 }, (_, i) => ({ message: `${"v".repeat(1000)}${batch * 1000 + i}`, partition: 0 }));
      expect((await post(leader, "/produce", { topic: "slow-reader", acks: "all", messages })).status).toBe(200);
    }
    const { leader_epoch: epoch } = (await replicatedTopic(leader, "slow-reader")).partitions[0];
    const topicId = topicIdOf(leader, "slow-reader");
    const auth = new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: 3 });
    // A raw socket, so that reading can stop: the WebSocket handshake and frames by hand (RFC 6455).
    const socket = connect(leader.port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    const received: Buffer[] = [];
    let closed = false;
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("close", () => (closed = true));
    socket.write(
      `GET ${CHANNEL} HTTP/1.1\r\nHost: 127.0.0.1:${leader.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${Buffer.from("slow-reader-key!").toString("base64")}\r\nSec-WebSocket-Version: 13\r\n` +
        `${BROKER_AUTH_HEADER}: ${auth.signCall(1, "GET", CHANNEL, "").authorization}\r\n\r\n`,
    );
    await eventually(() => Buffer.concat(received).includes("\r\n\r\n"), "the upgrade's answer");
    expect(Buffer.concat(received).subarray(0, 12).toString()).toBe("HTTP/1.1 101");
    socket.pause();
    // Twelve fetches of the whole partition (~4.2 MB each), far past what Bun would hold unsent (16 MB) before closing.
    for (let id = 1; id <= 12; id++) {
      const body = encodeFetchRequest({ topic: "slow-reader", topicId, partition: 0, replica: 3, fetchOffset: 0, lastFetchedEpoch: epoch, leaderEpoch: epoch, maxWaitMs: 0 });
      socket.write(maskedFrame(encodeCall({ id, authorization: auth.signCall(1, "POST", FETCH, body).authorization, body })));
    }
    await Bun.sleep(1_500);
    expect(closed).toBe(false);
    socket.resume();
    const answers: { id: number; status: number; records: number }[] = [];
    await eventually(() => {
      answers.length = 0;
      for (const frame of serverFrames(Buffer.concat(received))) {
        const answer = decodeAnswer(frame);
        answers.push({ id: answer.id, status: answer.status, records: answer.status === 200 ? decodeFetchAnswer(answer.body).chunk.count : -1 });
      }
      return answers.length === 12;
    }, "twelve answers", 30_000);
    // Each the same 4 MB (the fetch's byte limit) from offset 0: ~4,030 records of ~1 kB.
    const records = answers[0].records;
    expect(records).toBeGreaterThan(4000);
    expect(answers).toEqual(Array.from({ length: 12 }, (_, i) => ({ id: i + 1, status: 200, records })));
    expect(closed).toBe(false);
    socket.destroy();
  });
});

/** A client's binary WebSocket frame: masked, as RFC 6455 §5.3 requires of clients. */
function maskedFrame(payload: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x82, 0x80 | n]) : n < 65_536 ? Buffer.from([0x82, 0x80 | 126, n >> 8, n & 255]) : Buffer.alloc(10);
  if (n >= 65_536) {
    head[0] = 0x82;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, masked]);
}

/** The whole binary frames a server sent after its 101 answer (unmasked, RFC 6455 §5.2). */
function serverFrames(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = bytes.indexOf("\r\n\r\n") + 4; at + 2 <= bytes.length; ) {
    const short = bytes[at + 1] & 127;
    const [length, start] = short === 126 ? [bytes.readUInt16BE(at + 2), at + 4] : short === 127 ? [Number(bytes.readBigUInt64BE(at + 2)), at + 10] : [short, at + 2];
    if (start + length > bytes.length) break;
    frames.push(bytes.subarray(start, start + length));
    at = start + length;
  }
  return frames;
}

describe("with --replica-fetch-transport=http", () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startCluster(3, { args: ["--workers=1", "--replica-fetch-transport=http"] });
    await allAlive(cluster);
    expect((await post(cluster.broker(1), "/create-topic", { topic: "over-http", partitions: 1 })).status).toBe(200);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test("followers open no channel: every fetch is a POST, and acks=all produces are acknowledged", async () => {
    await produceAll(cluster.broker(1), "over-http", 10);
    const leader = cluster.broker(1);
    expect(await requestCount(leader, "GET", CHANNEL, 101)).toBe(0);
    expect(await requestCount(leader, "WS", CHANNEL, 200)).toBe(0);
    expect(await requestCount(leader, "POST", FETCH, 200)).toBeGreaterThanOrEqual(10);
    const read = await get<{ records: { message: string }[] }>(cluster.broker(3), "/topics/over-http/partitions/0/records?offset=0&max=100");
    expect(read.body.records.map((r) => r.message)).toEqual(Array.from({ length: 10 }, (_, i) => `m-${i}`));
  });
});
