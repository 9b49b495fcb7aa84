import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { mayHaveArrived, PeerClient } from "../../src/cluster/peer-client.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { loadTlsMaterial } from "../../src/lib/tls-material.ts";
import { makeTestCa } from "../helpers/tls-certs.ts";

/**
 * Calls between brokers over HTTPS (peer-http.ts): the peer's certificate is verified
 * against --tls-ca and the name it is dialled by, this broker's certificate goes along
 * for a peer that requires one, and a reload changes what new calls trust.
 */

const certs = makeTestCa("Cluster CA");
const other = makeTestCa("Another CA");
afterAll(() => {
  certs.remove();
  other.remove();
});

/** A peer that requires a client certificate from `certs`' CA and answers who presented it. */
function peer(cert: { cert: string; key: string }) {
  return Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert: readFileSync(cert.cert, "utf8"), key: readFileSync(cert.key, "utf8"), ca: readFileSync(certs.ca, "utf8"), requestCert: true, rejectUnauthorized: true },
    fetch: () => Response.json({ ok: true }),
  });
}

async function refusal(call: Promise<unknown>): Promise<StreamNestError> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(StreamNestError);
    return error as StreamNestError;
  }
  throw new Error("the call succeeded");
}

describe("PeerClient over TLS", () => {
  const self = certs.issue("broker-1");

  test("a peer with a certificate of the cluster CA is called; this broker's certificate is its client certificate", async () => {
    const server = peer(certs.issue("broker-2"));
    try {
      const client = new PeerClient({ tls: loadTlsMaterial({ ...self, ca: certs.ca }), timeoutMs: 5_000 });
      expect(await client.json(`localhost:${server.port}`, { path: "/x" })).toEqual({ ok: true });
      expect(await client.json(`127.0.0.1:${server.port}`, { path: "/x" })).toEqual({ ok: true });
    } finally {
      await server.stop(true);
    }
  });

  test("a peer whose certificate another CA signed, or that names another host, is refused as unreachable", async () => {
    const stranger = peer(other.issue("impostor"));
    const misnamed = peer(certs.issue("elsewhere", { altNames: "DNS:elsewhere.example" }));
    try {
      const client = new PeerClient({ tls: loadTlsMaterial({ ...self, ca: certs.ca }), timeoutMs: 5_000 });
      const untrusted = await refusal(client.json(`localhost:${stranger.port}`, { path: "/x", label: "broker 9" }));
      expect(untrusted.code).toBe("LEADER_UNAVAILABLE");
      expect(untrusted.message).toStartWith("broker 9 cannot be reached (");
      // The handshake failed: the call surely never reached the peer.
      expect(mayHaveArrived(untrusted)).toBe(false);
      const wrongName = await refusal(client.json(`localhost:${misnamed.port}`, { path: "/x", label: "broker 8" }));
      expect(wrongName.code).toBe("LEADER_UNAVAILABLE");
      expect(wrongName.message).toStartWith("broker 8 cannot be reached (");
    } finally {
      await stranger.stop(true);
      await misnamed.stop(true);
    }
  });

  test("without --tls-ca: a peer sharing this broker's self-signed certificate is trusted, a stranger's is not", async () => {
    const shared = certs.selfSigned("shared");
    const serve = (cert: { cert: string; key: string }) =>
      Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        tls: { cert: readFileSync(cert.cert, "utf8"), key: readFileSync(cert.key, "utf8") },
        fetch: () => Response.json({ ok: true }),
      });
    const twin = serve(shared);
    const stranger = serve(certs.selfSigned("stranger"));
    try {
      const client = new PeerClient({ tls: loadTlsMaterial(shared), timeoutMs: 5_000 });
      expect(await client.json(`localhost:${twin.port}`, { path: "/x" })).toEqual({ ok: true });
      expect((await refusal(client.json(`localhost:${stranger.port}`, { path: "/x" }))).code).toBe("LEADER_UNAVAILABLE");
    } finally {
      await twin.stop(true);
      await stranger.stop(true);
    }
  });

  test("reloadTls: calls from then on trust the new CA", async () => {
    const server = peer(certs.issue("broker-3"));
    try {
      const client = new PeerClient({ tls: loadTlsMaterial({ ...self, ca: other.ca }), timeoutMs: 5_000 });
      expect((await refusal(client.json(`localhost:${server.port}`, { path: "/x" }))).code).toBe("LEADER_UNAVAILABLE");
      client.reloadTls(loadTlsMaterial({ ...self, ca: certs.ca }));
      expect(await client.json(`localhost:${server.port}`, { path: "/x" })).toEqual({ ok: true });
    } finally {
      await server.stop(true);
    }
  });
});
