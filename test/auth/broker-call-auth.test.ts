import { describe, expect, test } from "bun:test";
import { BrokerCallAuth } from "../../src/auth/broker-call-auth.ts";

const SECRET = "a cluster secret of enough length";

function pair(now: () => number = Date.now) {
  const one = new BrokerCallAuth({ secret: SECRET, clusterId: "c1", selfId: 1, now });
  const two = new BrokerCallAuth({ secret: SECRET, clusterId: "c1", selfId: 2, now });
  return { one, two };
}

describe("BrokerCallAuth", () => {
  test("a call signed by one broker for another verifies once, names its sender, and its answer verifies", () => {
    const { one, two } = pair();
    const call = one.signCall(2, "POST", "/internal/heartbeat", '{"id":1}');
    expect(call.authorization).not.toContain(SECRET);
    expect(two.verifyCall(call.authorization, "POST", "/internal/heartbeat", '{"id":1}')).toEqual({ sender: 1, nonce: call.nonce });
    expect(() => two.verifyCall(call.authorization, "POST", "/internal/heartbeat", '{"id":1}')).toThrow("already used (replay)");
    const signature = two.signAnswer(call.nonce, 200, '{"ok":true}');
    one.verifyAnswer(2, call.nonce, 200, '{"ok":true}', signature);
    expect(() => one.verifyAnswer(2, call.nonce, 200, '{"ok":false}', signature)).toThrow("does not verify");
    expect(() => one.verifyAnswer(2, call.nonce, 500, '{"ok":true}', signature)).toThrow("does not verify");
    expect(() => one.verifyAnswer(3, call.nonce, 200, '{"ok":true}', signature)).toThrow("does not verify");
    expect(() => one.verifyAnswer(2, "B".repeat(22), 200, '{"ok":true}', signature)).toThrow("does not verify");
    expect(() => one.verifyAnswer(2, call.nonce, 200, '{"ok":true}', undefined)).toThrow("lacks a valid");
  });

  test("a call is refused for another receiver, another body, path or method, another cluster id or key", () => {
    const { one, two } = pair();
    const refuse = (authorization: string, method = "POST", path = "/internal/metadata", body = "{}") =>
      (() => {
        try {
          two.verifyCall(authorization, method, path, body);
          return "accepted";
        } catch (error) {
          return (error as Error).message;
        }
      })();
    expect(refuse(one.signCall(3, "POST", "/internal/metadata", "{}").authorization)).toBe("broker request is addressed to broker 3, this is broker 2");
    expect(refuse(one.signCall(2, "POST", "/internal/metadata", "{}").authorization, "POST", "/internal/metadata", '{"x":1}')).toBe(
      "broker request signature does not verify",
    );
    expect(refuse(one.signCall(2, "POST", "/internal/metadata", "{}").authorization, "PUT")).toBe("broker request signature does not verify");
    expect(refuse(one.signCall(2, "POST", "/internal/metadata", "{}").authorization, "POST", "/internal/controller")).toBe(
      "broker request signature does not verify",
    );
    const other = new BrokerCallAuth({ secret: SECRET, clusterId: "c2", selfId: 1 });
    expect(refuse(other.signCall(2, "POST", "/internal/metadata", "{}").authorization)).toBe('broker request is for cluster "c2", this is cluster "c1"');
    const wrongKey = new BrokerCallAuth({ secret: `${SECRET}!`, clusterId: "c1", selfId: 1 });
    expect(refuse(wrongKey.signCall(2, "POST", "/internal/metadata", "{}").authorization)).toBe("broker request signature does not verify");
    expect(refuse("")).toBe("broker request lacks StreamNest-HMAC-SHA256 authentication");
  });

  test("a call signed before the receiver started is refused: a restarted broker has forgotten the nonces it saw", () => {
    let clock = 1_000_000;
    const one = new BrokerCallAuth({ secret: SECRET, clusterId: "c1", selfId: 1, now: () => clock });
    const captured = one.signCall(2, "GET", "/internal/metadata", "");
    clock += 5_000;
    const restarted = new BrokerCallAuth({ secret: SECRET, clusterId: "c1", selfId: 2, now: () => clock });
    expect(() => restarted.verifyCall(captured.authorization, "GET", "/internal/metadata", "")).toThrow("signed before this broker started");
    const fresh = one.signCall(2, "GET", "/internal/metadata", "");
    expect(restarted.verifyCall(fresh.authorization, "GET", "/internal/metadata", "").sender).toBe(1);
  });

  test("a sender the membership check does not know is refused, after its signature verified", () => {
    const { one, two } = pair();
    two.isKnownSender = (id) => id === 5;
    const call = one.signCall(2, "GET", "/internal/metadata", "");
    expect(() => two.verifyCall(call.authorization, "GET", "/internal/metadata", "")).toThrow('broker 1 is not a member of cluster "c1"');
  });

  test("the membership check sees the call, so it can leave some calls open to a broker not yet known", () => {
    const { one, two } = pair();
    const seen: Array<[number, string, string]> = [];
    two.isKnownSender = (id, request) => {
      seen.push([id, request.method, request.path]);
      return request.path === "/internal/quorum/voters";
    };
    const open = one.signCall(2, "GET", "/internal/quorum/voters", "");
    expect(two.verifyCall(open.authorization, "GET", "/internal/quorum/voters", "")).toEqual({ sender: 1, nonce: open.nonce });
    const closed = one.signCall(2, "POST", "/internal/partitions/produce?x=1", "{}");
    expect(() => two.verifyCall(closed.authorization, "POST", "/internal/partitions/produce?x=1", "{}")).toThrow('broker 1 is not a member of cluster "c1"');
    expect(seen).toEqual([
      [1, "GET", "/internal/quorum/voters"],
      [1, "POST", "/internal/partitions/produce?x=1"],
    ]);
  });

  test("too short a secret or a bad cluster id is refused at construction", () => {
    expect(() => new BrokerCallAuth({ secret: "short", clusterId: "c1", selfId: 1 })).toThrow("at least 16 bytes");
    expect(() => new BrokerCallAuth({ secret: SECRET, clusterId: "bad id", selfId: 1 })).toThrow("cluster id must be");
  });
});
