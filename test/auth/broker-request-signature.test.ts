import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import {
  type BrokerRequest,
  type BrokerRequestAuth,
  BrokerRequestVerifier,
  formatBrokerRequestAuth,
  parseBrokerRequestAuth,
  signBrokerRequest,
  signBrokerResponse,
  verifyBrokerResponse,
} from "../../src/auth/broker-request-signature.ts";
import { deriveClusterKeys } from "../../src/auth/cluster-keys.ts";

const SECRET = "a cluster secret of enough length";
const KEY = deriveClusterKeys(SECRET, "cluster-A").brokerRequests;
const NOW = 1_800_000_000_000;
const REQUEST: BrokerRequest = { method: "POST", path: "/internal/heartbeat?x=1", body: '{"term":3}' };

function verifier(options: Partial<ConstructorParameters<typeof BrokerRequestVerifier>[0]> = {}): BrokerRequestVerifier {
  return new BrokerRequestVerifier({ key: KEY, clusterId: "cluster-A", selfId: 2, isKnownSender: (id) => id === 1 || id === 3, ...options });
}

function signed(overrides: { now?: number; senderId?: number; receiverId?: number; clusterId?: string; key?: Buffer } = {}): BrokerRequestAuth {
  return signBrokerRequest(overrides.key ?? KEY, {
    clusterId: overrides.clusterId ?? "cluster-A",
    senderId: overrides.senderId ?? 1,
    receiverId: overrides.receiverId ?? 2,
    now: overrides.now ?? NOW,
    request: REQUEST,
  });
}

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof StreamNestError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a StreamNestError");
}

const unauthorized = (message: string) => ({ code: "UNAUTHORIZED", message });

describe("broker request signatures", () => {
  test("a valid signature verifies, as an object and as its header text, and names the sender", () => {
    const auth = signed();
    expect(verifier().verify(auth, REQUEST, NOW + 50)).toBe(1);
    const header = formatBrokerRequestAuth(signed());
    expect(header).toMatch(/^StreamNest-HMAC-SHA256 cluster=cluster-A,sender=1,receiver=2,ts=1800000000000,nonce=[A-Za-z0-9_-]{22},sig=[A-Za-z0-9_-]{43}$/);
    expect(verifier().verify(header, REQUEST, NOW)).toBe(1);
    expect(parseBrokerRequestAuth(formatBrokerRequestAuth(auth))).toEqual(auth);
  });

  test("signatures are byte-for-byte those of earlier versions (brokers of two versions sign for each other)", () => {
    // Made by the node:crypto implementation this one replaced (Bun's own HMAC since).
    const header =
      "StreamNest-HMAC-SHA256 cluster=cluster-A,sender=1,receiver=2,ts=1800000000000,nonce=OtkZ5zMxVZdtnsdmU5dUNA,sig=8Gu8c0lcg2vumW8GU8lJe27BpU82YRPULZAhNIfVw34";
    expect(verifier().verify(header, REQUEST, NOW)).toBe(1);
    expect(refusal(() => verifier().verify(header, { ...REQUEST, body: '{"term":4}' }, NOW))).toEqual(unauthorized("broker request signature does not verify"));
    const nonce = "OtkZ5zMxVZdtnsdmU5dUNA";
    const parts = [new Uint8Array([1, 2, 3]), new TextEncoder().encode("ünïcode")];
    expect(signBrokerResponse(KEY, { clusterId: "cluster-A", responderId: 2, requestNonce: nonce, status: 200, body: parts })).toBe(
      "hMvdjCayITVyEv09iKbjvh18hRls2V4519ev2LUoPBQ",
    );
    expect(signBrokerResponse(KEY, { clusterId: "cluster-A", responderId: 2, requestNonce: nonce, status: 409, body: '{"error":"é"}' })).toBe(
      "8rHcPpnX64jdYbpEd5HRMTMLb3WJ9uxmcsk4MPLGm5s",
    );
  });

  test("the secret appears nowhere in what is sent", () => {
    const header = formatBrokerRequestAuth(signed());
    expect(header).not.toContain(SECRET);
    expect(header).not.toContain(KEY.toString("base64url"));
    expect(header).not.toContain(KEY.toString("hex"));
  });

  test("each tampered field is refused", () => {
    const auth = signed();
    const bad = "broker request signature does not verify";
    const v = verifier();
    expect(refusal(() => v.verify(auth, { ...REQUEST, body: '{"term":4}' }, NOW))).toEqual(unauthorized(bad));
    expect(refusal(() => v.verify(auth, { ...REQUEST, path: "/internal/metadata" }, NOW))).toEqual(unauthorized(bad));
    expect(refusal(() => v.verify(auth, { ...REQUEST, method: "PUT" }, NOW))).toEqual(unauthorized(bad));
    expect(refusal(() => v.verify({ ...auth, senderId: 3 }, REQUEST, NOW))).toEqual(unauthorized(bad));
    expect(refusal(() => v.verify({ ...auth, timestamp: auth.timestamp + 1 }, REQUEST, NOW))).toEqual(unauthorized(bad));
    expect(refusal(() => v.verify({ ...auth, nonce: "A".repeat(22) }, REQUEST, NOW))).toEqual(unauthorized(bad));
    const flipped = Buffer.from(auth.signature, "base64url");
    flipped[5] ^= 1;
    expect(refusal(() => v.verify({ ...auth, signature: flipped.toString("base64url") }, REQUEST, NOW))).toEqual(unauthorized(bad));
    // none of the refused attempts consumed the nonce: the genuine request still passes
    expect(v.verify(auth, REQUEST, NOW)).toBe(1);
  });

  test("a signature made with another secret is refused", () => {
    const other = deriveClusterKeys("another secret, same length!!", "cluster-A").brokerRequests;
    expect(refusal(() => verifier().verify(signed({ key: other }), REQUEST, NOW))).toEqual(
      unauthorized("broker request signature does not verify"),
    );
  });

  test("a wrong cluster id is refused by name, even with the right secret", () => {
    const otherClusterKey = deriveClusterKeys(SECRET, "cluster-B").brokerRequests;
    expect(refusal(() => verifier().verify(signed({ clusterId: "cluster-B", key: otherClusterKey }), REQUEST, NOW))).toEqual(
      unauthorized('broker request is for cluster "cluster-B", this is cluster "cluster-A"'),
    );
  });

  test("a request for another broker is refused (no replay across receivers)", () => {
    expect(refusal(() => verifier().verify(signed({ receiverId: 3 }), REQUEST, NOW))).toEqual(
      unauthorized("broker request is addressed to broker 3, this is broker 2"),
    );
  });

  test("an expired or future timestamp beyond the skew window is refused", () => {
    const v = verifier({ maxSkewMs: 5000 });
    expect(v.verify(signed({ now: NOW - 5000 }), REQUEST, NOW)).toBe(1);
    expect(refusal(() => v.verify(signed({ now: NOW - 5001 }), REQUEST, NOW))).toEqual(
      unauthorized("broker request timestamp is 5001 ms from this broker's clock; at most 5000 ms allowed"),
    );
    expect(refusal(() => v.verify(signed({ now: NOW + 5001 }), REQUEST, NOW))).toEqual(
      unauthorized("broker request timestamp is -5001 ms from this broker's clock; at most 5000 ms allowed"),
    );
  });

  test("a replayed nonce is refused, for as long as its timestamp is fresh", () => {
    const v = verifier({ maxSkewMs: 5000 });
    const auth = signed();
    expect(v.verify(auth, REQUEST, NOW)).toBe(1);
    expect(refusal(() => v.verify(auth, REQUEST, NOW + 1))).toEqual(unauthorized("broker request nonce was already used (replay)"));
    expect(refusal(() => v.verify(auth, REQUEST, NOW + 5000))).toEqual(unauthorized("broker request nonce was already used (replay)"));
    expect(refusal(() => v.verify(auth, REQUEST, NOW + 5001)).message).toBe(
      "broker request timestamp is 5001 ms from this broker's clock; at most 5000 ms allowed",
    );
  });

  test("a sender the quorum does not know is refused, after the MAC", () => {
    expect(refusal(() => verifier().verify(signed({ senderId: 9 }), REQUEST, NOW))).toEqual(
      unauthorized('broker 9 is not a member of cluster "cluster-A"'),
    );
  });

  test("a full replay cache refuses with a retriable error instead of forgetting nonces", () => {
    const v = verifier({ maxNonces: 1 });
    expect(v.verify(signed(), REQUEST, NOW)).toBe(1);
    const error = refusal(() => v.verify(signed(), REQUEST, NOW));
    expect(error).toEqual({ code: "REQUEST_TIMED_OUT", message: "too many broker requests in the replay window; retry" });
  });

  test("missing or malformed authentication is refused clearly", () => {
    const v = verifier();
    const good = formatBrokerRequestAuth(signed());
    expect(refusal(() => v.verify(undefined, REQUEST, NOW))).toEqual(unauthorized("broker request lacks StreamNest-HMAC-SHA256 authentication"));
    expect(refusal(() => v.verify("Bearer abc", REQUEST, NOW))).toEqual(unauthorized("broker request lacks StreamNest-HMAC-SHA256 authentication"));
    expect(refusal(() => v.verify(good.replace(",sig=", ",x=1,sig="), REQUEST, NOW))).toEqual(
      unauthorized('unknown StreamNest-HMAC-SHA256 field "x"'),
    );
    expect(refusal(() => v.verify(good.replace(/,nonce=[^,]*/, ""), REQUEST, NOW))).toEqual(
      unauthorized("StreamNest-HMAC-SHA256 authentication lacks nonce="),
    );
    expect(refusal(() => v.verify(good.replace("sender=1", "sender=01"), REQUEST, NOW))).toEqual(
      unauthorized("StreamNest-HMAC-SHA256 sender= is not a non-negative integer"),
    );
    expect(refusal(() => v.verify(good.replace(/sig=.*/, "sig=short"), REQUEST, NOW))).toEqual(
      unauthorized("StreamNest-HMAC-SHA256 sig= is not a base64url HMAC-SHA256"),
    );
    expect(refusal(() => v.verify(`${good},sig=x`, REQUEST, NOW)).message).toStartWith("malformed StreamNest-HMAC-SHA256 authentication");
    expect(refusal(() => v.verify(good.replace("cluster=cluster-A", "cluster=a b"), REQUEST, NOW))).toEqual(
      unauthorized("broker request authentication: cluster id must be 1-64 of ASCII letters, digits, '.', '_' and '-'"),
    );
  });

  test("responses: bound to the request nonce and responder; a forged or reused answer is refused", () => {
    const auth = signed();
    const response = { clusterId: "cluster-A", responderId: 2, requestNonce: auth.nonce, status: 200, body: '{"ok":true}' };
    const signature = signBrokerResponse(KEY, response);
    expect(() => verifyBrokerResponse(KEY, response, signature)).not.toThrow();
    const bad = unauthorized("answer of broker 2 has a signature that does not verify");
    expect(refusal(() => verifyBrokerResponse(KEY, { ...response, body: '{"ok":false}' }, signature))).toEqual(bad);
    expect(refusal(() => verifyBrokerResponse(KEY, { ...response, status: 500 }, signature))).toEqual(bad);
    expect(refusal(() => verifyBrokerResponse(KEY, { ...response, requestNonce: signed().nonce }, signature))).toEqual(bad);
    expect(refusal(() => verifyBrokerResponse(KEY, { ...response, responderId: 3 }, signature)).message).toBe(
      "answer of broker 3 has a signature that does not verify",
    );
    expect(refusal(() => verifyBrokerResponse(KEY, response, undefined))).toEqual(
      unauthorized("answer of broker 2 lacks a valid StreamNest-HMAC-SHA256 signature"),
    );
    // a request's signature is never a valid response signature (distinct labels)
    expect(refusal(() => verifyBrokerResponse(KEY, response, auth.signature))).toEqual(bad);
  });

  test("an answer signed in parts (sent back to back) verifies as the bytes joined, and only as them", () => {
    const auth = signed();
    const enc = new TextEncoder();
    const parts = [enc.encode("head:"), enc.encode(""), enc.encode("frames")];
    const base = { clusterId: "cluster-A", responderId: 2, requestNonce: auth.nonce, status: 200 };
    const signature = signBrokerResponse(KEY, { ...base, body: parts });
    expect(signature).toBe(signBrokerResponse(KEY, { ...base, body: enc.encode("head:frames") }));
    expect(() => verifyBrokerResponse(KEY, { ...base, body: enc.encode("head:frames") }, signature)).not.toThrow();
    expect(refusal(() => verifyBrokerResponse(KEY, { ...base, body: enc.encode("head:frameS") }, signature))).toEqual(
      unauthorized("answer of broker 2 has a signature that does not verify"),
    );
    expect(refusal(() => verifyBrokerResponse(KEY, { ...base, body: [enc.encode("frames"), enc.encode("head:")] }, signature))).toEqual(
      unauthorized("answer of broker 2 has a signature that does not verify"),
    );
  });
});
