import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import { eventually, NodeSet } from "./helpers/serve-node.ts";

let set: NodeSet;
const received: Array<{ method: string; path: string; body: string; contentType: string | null }> = [];
let streamCancelled = false;
const hung: Array<() => void> = [];
const P = "/internal/partitions";

beforeAll(async () => {
  set = await NodeSet.create(3);
  // Broker 2 plays the leader of every partition.
  set.get(2).local = async (req, path) => {
    received.push({ method: req.method, path, body: await req.text(), contentType: req.headers.get("content-type") });
    const url = new URL(path, "http://x");
    switch (url.pathname) {
      case `${P}/produce`:
        return Response.json({ outcomes: [{ offset: 41, partition: 1 }] });
      case `${P}/missing`:
        return Response.json({ error: "TOPIC_NOT_FOUND", message: 'topic "nope" does not exist' }, { status: 404 });
      case `${P}/slow`: {
        const wait = Number(url.searchParams.get("wait_ms"));
        await Bun.sleep(wait);
        return Response.json({ waited: wait });
      }
      case `${P}/hang`:
        return new Promise<Response>((resolve) => hung.push(() => resolve(new Response("late"))));
      case `${P}/stream`: {
        let n = 0;
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            await Bun.sleep(10);
            controller.enqueue(new TextEncoder().encode(`{"n":${n++}}\n`));
          },
          cancel() {
            streamCancelled = true;
          },
        });
        return new Response(stream, { headers: { "content-type": "application/x-ndjson" } });
      }
      default:
        return new Response("?", { status: 500 });
    }
  };
  await set.startAll();
});

afterAll(() => {
  for (const release of hung) release();
  set.stopAll();
});

const leader2 = (): { id: number; address: string } => ({ id: 2, address: set.get(2).address });

describe("Forwarder", () => {
  test("a call reaches the leader byte for byte and its answer comes back", async () => {
    const body = JSON.stringify({ topic: "demo", messages: [{ message: "héllo 🌍\u0000end", partition: 1 }] });
    const answer = await set.get(1).node.forwarder.json<unknown>(leader2(), {
      method: "POST",
      path: `${P}/produce?x=1&y=%2F`,
      body,
      what: "partition 1 of demo",
    });
    expect(answer).toEqual({ outcomes: [{ offset: 41, partition: 1 }] });
    expect(received.at(-1)).toEqual({ method: "POST", path: `${P}/produce?x=1&y=%2F`, body, contentType: "application/json" });
  });

  test("the leader's refusal comes back as the same error", async () => {
    const error = (await set
      .get(3)
      .node.forwarder.json(leader2(), { method: "GET", path: `${P}/missing`, what: "partition 0 of nope" })
      .catch((e: unknown) => e)) as StreamNestError;
    expect(error).toBeInstanceOf(StreamNestError);
    expect(error.code).toBe("TOPIC_NOT_FOUND");
    expect(error.message).toBe('topic "nope" does not exist');
  });

  test("a stream flows through as the leader writes it, and ends at the leader when the client leaves", async () => {
    const abort = new AbortController();
    const response = await set
      .get(1)
      .node.forwarder.send(leader2(), { method: "GET", path: `${P}/stream`, signal: abort.signal, what: "partition 0 of s" });
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes('{"n":2}\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text.startsWith('{"n":0}\n{"n":1}\n{"n":2}\n')).toBe(true);
    abort.abort();
    await reader.cancel().catch(() => undefined);
    await eventually(() => streamCancelled, "the leader's stream is cancelled");
  });

  test("a long poll may wait at the leader beyond the peer timeout by what it asked for", async () => {
    const answer = await set.get(1).node.forwarder.json<unknown>(leader2(), {
      method: "GET",
      path: `${P}/slow?wait_ms=700`,
      waitMs: 700,
      what: "partition 0 of slow",
    });
    expect(answer).toEqual({ waited: 700 });
  });

  test("a leader that does not answer gives LEADER_UNAVAILABLE naming it and the partition", async () => {
    const error = (await set
      .get(1)
      .node.forwarder.json(leader2(), { method: "GET", path: `${P}/hang`, what: 'partition 1 of topic "demo"' })
      .catch((e: unknown) => e)) as StreamNestError;
    expect(error).toBeInstanceOf(StreamNestError);
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toBe(
      `partition 1 of topic "demo" is led by broker 2 (${set.get(2).address}), which did not answer within 500 ms`,
    );
    expect(error.details).toEqual({ leader: 2, broker: set.get(2).address, timedOut: true });
  });

  test("a leader that is down gives LEADER_UNAVAILABLE at once and counts as dead", async () => {
    const three = set.get(3);
    three.stop();
    const error = (await set
      .get(1)
      .node.forwarder.send({ id: 3, address: three.address }, {
        method: "POST",
        path: `${P}/produce`,
        body: "{}",
        what: 'partition 2 of topic "demo"',
      })
      .catch((e: unknown) => e)) as StreamNestError;
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.status).toBe(503);
    expect(error.message).toStartWith(`partition 2 of topic "demo" is led by broker 3 (${three.address}), which cannot be reached`);
    expect(set.get(1).node.membership.isAlive(3)).toBe(false);
  });

  test("a leader this broker never heard of is dialled at the address metadata gives", async () => {
    const error = (await set
      .get(1)
      .node.forwarder.json({ id: 9, address: "localhost:1" }, { method: "GET", path: `${P}/x`, what: "partition 0 of t" })
      .catch((e: unknown) => e)) as StreamNestError;
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toStartWith("partition 0 of t is led by broker 9 (localhost:1), which cannot be reached");
  });
});
