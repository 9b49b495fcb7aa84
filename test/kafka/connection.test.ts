import { afterEach, describe, expect, test } from "bun:test";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { KAFKA_LIMITS } from "../../src/config/kafka.ts";
import { type FrameHandler, KafkaConnection } from "../../src/kafka/connection.ts";
import type { RequestSignals } from "../../src/kafka/context.ts";

/**
 * The order of a connection's requests and answers, with a scripted handler on a real
 * socket: a request that says it only waits for replicas (RequestSignals.appended) lets
 * the next one start, answers still go out in request order, and the overlap is bounded.
 * Each request is one byte (its id); each answer echoes it.
 */

interface Started {
  id: number;
  signals: RequestSignals;
  answer: (close?: boolean) => void;
}

let server: Server | undefined;
let client: Socket | undefined;
afterEach(() => {
  client?.destroy();
  server?.close();
  client = server = undefined;
});

/** A connection whose handler records each request as it starts and answers when told. */
async function connection(): Promise<{ started: Started[]; answers: number[]; send: (...ids: number[]) => void; nextStart: () => Promise<Started> }> {
  const started: Started[] = [];
  const waiting: Array<(s: Started) => void> = [];
  const handle: FrameHandler = (frame, _conn, signals) =>
    new Promise((resolve) => {
      const s: Started = { id: frame[0], signals, answer: (close) => resolve(close ? "close" : frameOf(frame[0])) };
      started.push(s);
      waiting.shift()?.(s);
    });
  server = createServer((socket) => new KafkaConnection(socket, 1024, handle, () => {}));
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const answers: number[] = [];
  client = createConnection({ host: "127.0.0.1", port });
  let pending = Buffer.alloc(0);
  client.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      answers.push(pending[4]);
      pending = pending.subarray(5);
    }
  });
  await new Promise<void>((resolve) => client?.once("connect", () => resolve()));
  return {
    started,
    answers,
    send: (...ids) => client?.write(Buffer.concat(ids.map(frameOf))),
    nextStart: () => new Promise((resolve) => waiting.push(resolve)),
  };
}

function frameOf(id: number): Uint8Array {
  return new Uint8Array([0, 0, 0, 1, id]);
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe("a Kafka connection's requests", () => {
  test("are started one at a time: the next waits for the answer of the one before", async () => {
    const c = await connection();
    const first = c.nextStart();
    c.send(1, 2);
    (await first).id;
    await settle();
    expect(c.started.map((s) => s.id)).toEqual([1]);
    const second = c.nextStart();
    c.started[0].answer();
    expect((await second).id).toBe(2);
    c.started[1].answer();
    await settle();
    expect(c.answers).toEqual([1, 2]);
  });

  test("one that says it is appended lets the next start; answers still go out in request order", async () => {
    const c = await connection();
    const first = c.nextStart();
    c.send(1, 2, 3);
    const one = await first;
    const second = c.nextStart();
    one.signals.appended();
    const two = await second;
    expect(two.id).toBe(2);
    // 2 did not say appended: 3 waits for its answer, and 2's answer waits for 1's.
    two.answer();
    await settle();
    expect(c.started.map((s) => s.id)).toEqual([1, 2]);
    expect(c.answers).toEqual([]);
    const third = c.nextStart();
    one.answer();
    expect((await third).id).toBe(3);
    c.started[2].answer();
    await settle();
    expect(c.answers).toEqual([1, 2, 3]);
  });

  test(`at most ${KAFKA_LIMITS.maxProducesAwaitingReplicas.value} wait for replicas together; the next starts once the oldest is answered`, async () => {
    const c = await connection();
    const max = KAFKA_LIMITS.maxProducesAwaitingReplicas.value;
    const ids = Array.from({ length: max + 2 }, (_, i) => i + 1);
    c.send(...ids);
    for (let i = 0; i < max; i++) {
      while (c.started.length <= i) await settle();
      c.started[i].signals.appended();
    }
    await settle();
    expect(c.started.map((s) => s.id)).toEqual(ids.slice(0, max));
    c.started[0].answer();
    while (c.started.length <= max) await settle();
    expect(c.started.map((s) => s.id)).toEqual(ids.slice(0, max + 1));
    for (const s of c.started.slice(1)) s.answer();
    while (c.started.length <= max + 1) await settle();
    c.started[max + 1].answer();
    while (c.answers.length < ids.length) await settle();
    expect(c.answers).toEqual(ids);
  });

  test("a request that closes the connection after others went ahead: the earlier answers are written, no later one", async () => {
    const c = await connection();
    c.send(1, 2);
    while (c.started.length < 1) await settle();
    c.started[0].signals.appended();
    while (c.started.length < 2) await settle();
    c.started[1].signals.appended();
    await settle();
    const closed = new Promise<void>((resolve) => client?.once("close", () => resolve()));
    c.started[1].answer();
    c.started[0].answer(true);
    await closed;
    expect(c.answers).toEqual([]);
  });

  test("frameDone and appended said by a request that went ahead never reach the next one", async () => {
    const c = await connection();
    c.send(1, 2);
    while (c.started.length < 1) await settle();
    const one = c.started[0];
    one.signals.appended();
    while (c.started.length < 2) await settle();
    // 1's handler, still running, says appended again: 2 must not be let past.
    one.signals.appended();
    c.send(3);
    await settle();
    expect(c.started.map((s) => s.id)).toEqual([1, 2]);
    one.answer();
    c.started[1].answer();
    while (c.started.length < 3) await settle();
    c.started[2].answer();
    while (c.answers.length < 3) await settle();
    expect(c.answers).toEqual([1, 2, 3]);
  });
});

describe("a Kafka connection that pipelines requests answered at once", () => {
  test(`lets the event loop turn every ${KAFKA_LIMITS.requestsPerTurn.value} requests: other clients are served meanwhile, its answers all come, in order`, async () => {
    // Found by a tester: 300,000 ApiVersions on one connection held the broker's event loop
    // for 26 s (its heartbeats too, and the cluster fenced it), as each answer was ready at
    // once and the loop over the queue never left the microtask queue.
    let handled = 0;
    let handledWhenOthersRan: number | undefined;
    const handle: FrameHandler = (frame) => {
      handled++;
      // Scheduled on the first request: it runs when the event loop next turns.
      if (handled === 1) setImmediate(() => (handledWhenOthersRan = handled));
      return Promise.resolve(frameOf(frame[0]));
    };
    server = createServer((socket) => new KafkaConnection(socket, 1024, handle, () => {}));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const total = 50_000;
    let answered = 0;
    let inOrder = true;
    client = createConnection({ host: "127.0.0.1", port });
    let pending = Buffer.alloc(0);
    const all = new Promise<void>((resolve) =>
      client?.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 5) {
          if (pending[4] !== answered % 256) inOrder = false;
          answered++;
          pending = pending.subarray(5);
        }
        if (answered === total) resolve();
      }),
    );
    await new Promise<void>((resolve) => client?.once("connect", () => resolve()));
    client.write(Buffer.concat(Array.from({ length: total }, (_, i) => frameOf(i % 256))));
    await all;
    expect([answered, inOrder, handled]).toEqual([total, true, total]);
    expect(handledWhenOthersRan).toBeLessThanOrEqual(KAFKA_LIMITS.requestsPerTurn.value);
  });
});
