import { afterEach, describe, expect, test } from "bun:test";
import { type Heartbeat, isAddress, Membership, normalizeAddress } from "../../src/cluster/membership.ts";
import { PeerClient } from "../../src/cluster/peer-client.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { freePort } from "../helpers/ports.ts";
import { squatPort } from "../helpers/port-squatter.ts";
import { makeTestCa } from "../helpers/tls-certs.ts";
import { readFileSync } from "node:fs";
import { BROKER_SIGNATURE_HEADER } from "../../src/lib/internal-routes.ts";
import { formVoters } from "../../src/cluster/quorum-formation.ts";
import { eventually, NodeSet } from "./helpers/serve-node.ts";

let set: NodeSet | undefined;
afterEach(() => {
  set?.stopAll();
  set = undefined;
});

describe("Membership", () => {
  test("brokers learn each other's ids from heartbeats; /cluster names the quorum leader it is given, not the lowest id", async () => {
    set = await NodeSet.create(3);
    await set.startAll();
    for (const n of set.nodes) {
      expect(n.node.brokerIds()).toEqual([1, 2, 3]);
      expect(n.node.identities()).toEqual(set.nodes.map((m) => ({ id: m.id, address: m.address })));
    }
    const status = set.get(2).node.status(3);
    expect(status.broker).toBe(2);
    expect(status.controller).toBe(3);
    expect(status.brokers.map((b) => [b.id, b.address, b.alive, b.controller, b.self])).toEqual([
      [1, set.get(1).address, true, false, false],
      [2, set.get(2).address, true, false, true],
      [3, set.get(3).address, true, true, false],
    ]);
    const leaderless = set.get(2).node.status(null);
    expect(leaderless.controller).toBe(-1);
    expect(leaderless.brokers.map((b) => b.controller)).toEqual([false, false, false]);
  });

  test("a broker's Kafka address travels in its heartbeats", async () => {
    set = await NodeSet.create(2);
    await set.startAll();
    set.get(1).node.membership.kafkaAddress = "localhost:19092";
    const two = set.get(2).node.membership;
    await eventually(() => two.kafkaAddressOf(1) === "localhost:19092", "broker 2 learning broker 1's Kafka address");
    expect(two.kafkaAddressOf(2)).toBeUndefined();
    expect(set.get(1).node.membership.kafkaAddressOf(1)).toBe("localhost:19092");
  });

  test("a stopped broker is declared dead but still counted for placement; it is alive again when it returns", async () => {
    set = await NodeSet.create(3);
    await set.startAll();
    const [one, two, three] = set.nodes;
    one.stop();
    await eventually(() => !two.node.membership.isAlive(1) && !three.node.membership.isAlive(1), "broker 1 dead");
    // Placement still counts the dead broker: it is configured, just down.
    expect(two.node.brokerIds()).toEqual([1, 2, 3]);
    expect(two.logs.some((l) => l.startsWith(`Broker 1 at ${one.address} is unreachable`))).toBe(true);
    await one.start();
    await eventually(() => two.node.membership.isAlive(1) && three.node.membership.isAlive(1), "broker 1 back");
    // Broker 2 marks 1 alive on receiving its heartbeat, before 1 has read the answer: 1's own view
    // of its peers comes a moment later, so it is awaited, not sampled.
    await eventually(() => one.node.membership.isAlive(2) && one.node.membership.isAlive(3), "broker 1 hears 2 and 3");
  });

  test("a broker that names one member as its peer is learned by all, and learns all", async () => {
    set = await NodeSet.create(3);
    await set.startAll();
    const port = await freePort();
    const four = set.add(4, port, [set.get(3).address]);
    await four.start();
    await eventually(() => set!.nodes.every((n) => n.node.brokerIds().join() === "1,2,3,4"), "everyone knows 1..4");
    expect(four.node.membership.addressOf(1)).toBe(set.get(1).address);
    expect(set.get(1).node.membership.addressOf(4)).toBe(four.address);
    await eventually(() => set!.get(1).node.membership.isAlive(4), "broker 1 hears from 4");
  });

  test("learned ids survive a restart while the peer is down", async () => {
    set = await NodeSet.create(3);
    await set.startAll();
    set.get(3).stop();
    const two = set.get(2);
    two.stop();
    await two.start();
    expect(two.node.brokerIds()).toEqual([1, 2, 3]);
    expect(two.node.membership.isAlive(3)).toBe(false);
    expect(two.node.membership.addressOf(3)).toBe(set.get(3).address);
  });

  test("a heartbeat claiming this broker's id from another address is refused", async () => {
    set = await NodeSet.create(1);
    await set.startAll();
    const error = (() => {
      try {
        set.get(1).node.handleHeartbeat({ id: 1, address: "elsewhere:1", metadataVersion: 0, members: [] });
      } catch (e) {
        return e;
      }
    })() as StreamNestError;
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.message).toContain("broker id 1 is already taken");
  });

  test("a --peers entry naming this broker under another name is left out, not counted as a second broker", async () => {
    set = await NodeSet.create(1);
    const port = set.get(1).port;
    set.nodes.splice(0, 1);
    const alone = set.add(1, port, [`127.0.0.1:${port}`]);
    await set.startAll();
    await alone.node.membership.heartbeatRound();
    expect(alone.node.status(1).brokers.map((b) => [b.id, b.self])).toEqual([[1, true]]);
    expect(alone.node.brokerIds()).toEqual([1]);
    expect(alone.logs).toContain(`Peer 127.0.0.1:${port} is this broker itself; leaving it out`);
    expect(alone.logs.some((l) => l.startsWith("Learned of broker"))).toBe(false);
    // The metadata quorum forms of this broker alone: it can change metadata by itself.
    expect(await formVoters(alone.node.membership, alone.node.client, undefined, { id: 1, directoryId: "dir-1" }, () => false)).toEqual([{ id: 1, directoryId: "dir-1" }]);
  });

  test("brokers with different secrets never count each other alive", async () => {
    set = await NodeSet.create(2);
    const [one, two] = set.nodes;
    set.nodes.splice(1, 1);
    const other = set.add(2, two.port, [one.address], { secret: "another-cluster-secret" });
    await set.startAll();
    expect(one.node.membership.isAlive(2)).toBe(false);
    expect(other.node.membership.isAlive(1)).toBe(false);
    // Its configured peer never answered, so it never forms a metadata quorum without it.
    expect(other.node.membership.hasUnknownPeers()).toBe(true);
    expect(await formVoters(other.node.membership, other.node.client, undefined, { id: 2, directoryId: "dir-2" }, stopAfter(3))).toBeNull();
  });

  test("a peer already down whose port then answers without the cluster's signature gets a line of its own", async () => {
    set = await NodeSet.create(2);
    await set.startAll();
    const [one, two] = set.nodes;
    two.stop();
    await eventually(() => !one.node.membership.isAlive(2), "broker 2 dead");
    expect(one.logs.filter((l) => l.startsWith(`Broker 2 at ${two.address} is unreachable`))).toHaveLength(1);
    // Something else binds its port and answers everything, with a made-up signature.
    const squatter = squatPort(two.port, () => ({ status: 200, headers: { [BROKER_SIGNATURE_HEADER]: "A".repeat(43) }, body: JSON.stringify({ id: 2 }) }));
    try {
      const stillDown = `Broker 2 at ${two.address} is still down:`;
      await eventually(() => squatter.requests.length >= 4 && one.logs.some((l) => l.startsWith(stillDown)), "the unsigned answer said");
      const said = one.logs.filter((l) => l.startsWith(stillDown));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain("gave an answer not signed by broker 2");
      expect(one.node.membership.isAlive(2)).toBe(false);
    } finally {
      squatter.stop();
    }
  }, 30_000);

  test("addresses normalise and validate", () => {
    expect(normalizeAddress("http://LocalHost:8080/")).toBe("localhost:8080");
    expect(isAddress("localhost:8080")).toBe(true);
    expect(isAddress("10.0.0.5:1")).toBe(true);
    expect(isAddress("localhost")).toBe(false);
    expect(isAddress("localhost:0")).toBe(false);
    expect(isAddress("localhost:70000")).toBe(false);
  });

  test("a heartbeat answered after its member was merged away leaves the merged member, and its --peers dial address, in place", async () => {
    // Broker 2 is configured through a relay (as the tests' fault proxies) and also known
    // by the real address it advertises. Both records get a heartbeat at once; the relay
    // answers first (the records merge, keeping the relay's address), the real address
    // last. That late answer once replaced the merged record by the detached one, so
    // broker 2 was dialled around the relay from then on.
    const real = await freePort();
    const realAddress = `127.0.0.1:${real}`;
    const beat: Heartbeat = { id: 2, address: realAddress, metadataVersion: 0, members: [] };
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const answered: string[] = [];
    const direct = Bun.serve({
      hostname: "127.0.0.1",
      port: real,
      fetch: async () => {
        await held;
        answered.push("direct");
        return Response.json(beat);
      },
    });
    const relay = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => {
        answered.push("relay");
        return Response.json(beat);
      },
    });
    const relayAddress = `127.0.0.1:${relay.port}`;
    try {
      const membership = new Membership({
        self: { id: 1, address: `127.0.0.1:${await freePort()}` },
        peers: [relayAddress],
        client: new PeerClient({ timeoutMs: 5_000 }),
        metadataVersion: () => 0,
      });
      // Broker 2's own heartbeat arrives first, naming its real address.
      membership.receiveHeartbeat(beat);
      const round = membership.heartbeatRound();
      await eventually(() => answered.includes("relay"), "the relay answering");
      await Bun.sleep(20);
      release();
      await round;
      expect(answered).toEqual(["relay", "direct"]);
      expect(membership.dialAddressOf(2)).toBe(relayAddress);
      expect(membership.addressOf(2)).toBe(realAddress);
      expect(membership.hasUnknownPeers()).toBe(false);
      expect(membership.view().filter((m) => !m.self).map((m) => [m.id, m.dialAddress])).toEqual([[2, relayAddress]]);
    } finally {
      direct.stop(true);
      relay.stop(true);
    }
  });
});

/** A `stopped` check for formVoters that says stop after `n` rounds. */
function stopAfter(n: number): () => boolean {
  let rounds = 0;
  return () => rounds++ >= n;
}

describe("Membership over TLS", () => {
  test("a peer whose TLS certificate is not trusted here is logged at once, once, saying to give --tls-ca (the cluster never formed and logged nothing)", async () => {
    const ca = makeTestCa();
    try {
      const issued = ca.issue("peer");
      const cert = readFileSync(issued.cert, "utf8");
      const key = readFileSync(issued.key, "utf8");
      const peer = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert, key }, fetch: () => new Response("{}") });
      const logs: string[] = [];
      try {
        const membership = new Membership({
          self: { id: 1, address: `127.0.0.1:${await freePort()}` },
          peers: [`localhost:${peer.port}`],
          // This broker's own certificate but no --tls-ca: the peer's private CA is not trusted.
          client: new PeerClient({ timeoutMs: 5_000, tls: { cert, key, paths: { cert: issued.cert, key: issued.key } } }),
          metadataVersion: () => 0,
          log: (line) => logs.push(line),
        });
        for (let round = 0; round < 3; round++) await membership.heartbeatRound();
        expect(logs.filter((l) => l.includes("--tls-ca"))).toEqual([
          `broker at localhost:${peer.port} cannot be reached (UNABLE_TO_VERIFY_LEAF_SIGNATURE: its TLS certificate is not accepted here (not signed by a CA this broker trusts, expired, or not naming the address dialled); give every broker --tls-ca=<the CA that signed the brokers' certificates>)`,
        ]);
      } finally {
        peer.stop(true);
      }
    } finally {
      ca.remove();
    }
  });
});
