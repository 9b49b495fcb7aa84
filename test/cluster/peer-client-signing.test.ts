import { afterAll, describe, expect, test } from "bun:test";
import { BrokerCallAuth } from "../../src/auth/broker-call-auth.ts";
import { PeerClient } from "../../src/cluster/peer-client.ts";
import { BROKER_AUTH_HEADER, BROKER_SIGNATURE_HEADER } from "../../src/lib/internal-routes.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

/** A signed client against a peer that signs (binary answers included) and one that does not. */

const SECRET = "peer-client-signing-secret";
const peer = new BrokerCallAuth({ secret: SECRET, clusterId: "c", selfId: 2 });
const BINARY = Uint8Array.from({ length: 256 }, (_, i) => i);

const server = Bun.serve({
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === "/health") return Response.json({ id: 2 });
    const body = new Uint8Array(await req.arrayBuffer());
    const { nonce } = peer.verifyCall(req.headers.get(BROKER_AUTH_HEADER), req.method, url.pathname + url.search, body);
    if (url.pathname === "/internal/binary")
      return new Response(BINARY, { headers: { "content-type": "application/octet-stream", [BROKER_SIGNATURE_HEADER]: peer.signAnswer(nonce, 200, BINARY) } });
    // Made up, as by a process on a dead broker's port: a signature that is not the peer's.
    return Response.json({ forged: true }, { headers: { [BROKER_SIGNATURE_HEADER]: "A".repeat(43) } });
  },
});
const address = `localhost:${server.port}`;
afterAll(() => server.stop(true));

describe("PeerClient with call signing", () => {
  const client = new PeerClient({ auth: new BrokerCallAuth({ secret: SECRET, clusterId: "c", selfId: 1 }), selfId: 1, timeoutMs: 2000 });

  test("send() returns a signed binary answer byte for byte", async () => {
    const res = await client.send(address, { method: "POST", path: "/internal/binary", body: new Uint8Array([1, 2, 3]) });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(BINARY);
  });

  test("binary() returns a signed binary answer byte for byte", async () => {
    expect(await client.binary(address, { method: "POST", path: "/internal/binary", body: new Uint8Array([1, 2, 3]) })).toEqual(BINARY);
  });

  test("binaryAnswer() says the answer's bytes were checked against the peer's signature", async () => {
    const answer = await client.binaryAnswer(address, { method: "POST", path: "/internal/binary", body: new Uint8Array([1, 2, 3]) });
    expect(answer).toEqual({ bytes: BINARY, authenticated: true });
  });

  test("an answer not signed by the broker called is refused, by json(), send() and binary() alike", async () => {
    for (const call of [
      () => client.json(address, { path: "/internal/forged" }),
      () => client.send(address, { path: "/internal/forged" }),
      () => client.binary(address, { method: "POST", path: "/internal/forged", body: new Uint8Array([4]) }),
    ]) {
      const error = (await call().catch((e: unknown) => e)) as StreamNestError;
      expect(error).toBeInstanceOf(StreamNestError);
      expect(error.code).toBe("LEADER_UNAVAILABLE");
      expect(error.message).toBe(
        `${address} gave an answer not signed by broker 2 of cluster "c" (answer of broker 2 has a signature that does not verify)`,
      );
    }
  });
});

describe("PeerClient without call signing", () => {
  test("binaryAnswer() says the answer's bytes were not authenticated", async () => {
    const plain = Bun.serve({ port: 0, fetch: () => new Response(BINARY, { headers: { "content-type": "application/octet-stream" } }) });
    try {
      const answer = await new PeerClient({ timeoutMs: 2000 }).binaryAnswer(`localhost:${plain.port}`, { method: "POST", path: "/internal/binary", body: new Uint8Array([1]) });
      expect(answer).toEqual({ bytes: BINARY, authenticated: false });
    } finally {
      plain.stop(true);
    }
  });
});
