import { expect, setDefaultTimeout, test } from "bun:test";
import { cleanupsAfterEach } from "./cleanups.ts";
import { FaultNetwork } from "./fault-network.ts";
import { RecordingServer, TestClient } from "./tcp-endpoints.ts";
import { untilTrue } from "./until.ts";

const cleanups = cleanupsAfterEach();
// Megabytes through real sockets on a shared 2-core machine: give each test room when
// the file is run alone (`npm test` passes a longer timeout anyway).
setDefaultTimeout(60_000);
const QUIET_MS = 300;

/** Three "brokers": servers that say who they are on connect and echo what they get. */
async function cluster(): Promise<{ network: FaultNetwork; servers: Map<number, RecordingServer> }> {
  const servers = new Map<number, RecordingServer>();
  for (const id of [1, 2, 3]) {
    const server = await RecordingServer.start({ echo: true, greeting: `${id};` });
    cleanups.push(() => server.close());
    servers.set(id, server);
  }
  const network = await FaultNetwork.start([...servers].map(([id, server]) => ({ id, host: "127.0.0.1", port: server.port })));
  cleanups.push(() => network.close());
  return { network, servers };
}

/** What `from` sees when it reaches `to` through the network: "ok" or the failure. */
async function reach(network: FaultNetwork, from: number, to: number): Promise<string> {
  const client = await TestClient.dial(network.link(from, to).port);
  cleanups.push(() => client.destroy());
  const greeting = `${to};`;
  await client.waitForBytes(greeting.length, 5_000);
  if (client.text !== greeting) return client.closed ? `closed (${client.errorCode})` : `got "${client.text}"`;
  client.socket.write("ping");
  await client.waitForBytes(greeting.length + 4, 5_000);
  return client.text === `${greeting}ping` ? "ok" : `got "${client.text}"`;
}

async function reachAll(network: FaultNetwork): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  for (const from of [1, 2, 3]) for (const to of [1, 2, 3]) if (from !== to) seen[`${from}->${to}`] = await reach(network, from, to);
  return seen;
}

const allOk = { "1->2": "ok", "1->3": "ok", "2->1": "ok", "2->3": "ok", "3->1": "ok", "3->2": "ok" };

test("gives each node one proxy per peer, in node order, each leading to that peer", async () => {
  const { network } = await cluster();
  const peers = [1, 2, 3].map((id) => network.peersOf(id));
  expect(peers[0]).toEqual([network.link(1, 2).address, network.link(1, 3).address]);
  expect(peers[1]).toEqual([network.link(2, 1).address, network.link(2, 3).address]);
  expect(peers[2]).toEqual([network.link(3, 1).address, network.link(3, 2).address]);
  const addresses = peers.flat();
  expect(new Set(addresses).size).toBe(6);
  for (const address of addresses) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(await reachAll(network)).toEqual(allOk);
  expect(() => network.peersOf(4)).toThrow(RangeError);
  expect(() => network.link(1, 1)).toThrow(RangeError);
});

test("cutLink cuts both directions of one link only, and healAll restores it", async () => {
  const { network } = await cluster();
  network.cutLink(1, 2);
  expect(await reachAll(network)).toEqual({ ...allOk, "1->2": "closed (ECONNRESET)", "2->1": "closed (ECONNRESET)" });
  network.healAll();
  expect(await reachAll(network)).toEqual(allOk);
});

test("isolate cuts every link of one node, healLink restores one", async () => {
  const { network } = await cluster();
  network.isolate(3);
  const reset = "closed (ECONNRESET)";
  expect(await reachAll(network)).toEqual({ "1->2": "ok", "1->3": reset, "2->1": "ok", "2->3": reset, "3->1": reset, "3->2": reset });
  network.healLink(3, 1);
  expect(await reachAll(network)).toEqual({ "1->2": "ok", "1->3": "ok", "2->1": "ok", "2->3": reset, "3->1": "ok", "3->2": reset });
});

test("cutOneWay: what 1 sends never reaches 2, what 2 sends reaches 1 but 1's answer does not", async () => {
  const { network, servers } = await cluster();
  const oneToTwo = await TestClient.dial(network.link(1, 2).port);
  const twoToOne = await TestClient.dial(network.link(2, 1).port);
  cleanups.push(() => oneToTwo.destroy(), () => twoToOne.destroy());
  await oneToTwo.waitForBytes(2);
  await twoToOne.waitForBytes(2);
  network.cutOneWay(1, 2);

  oneToTwo.socket.write("from 1");
  twoToOne.socket.write("from 2");
  servers.get(2)!.push("+2");
  servers.get(1)!.push("+1");
  await untilTrue("node 1 got node 2's request", async () => servers.get(1)!.receivedText(0) === "from 2", 5_000);
  expect((await oneToTwo.waitForBytes(4, 5_000)).toString()).toBe("2;+2");
  await Bun.sleep(QUIET_MS);
  expect(servers.get(2)!.receivedText(0)).toBe("");
  expect(twoToOne.text).toBe("1;");
  expect(await reach(network, 1, 3)).toBe("ok");
  expect(await reach(network, 3, 2)).toBe("ok");

  network.healAll();
  await untilTrue("held bytes arrived after the heal", async () => servers.get(2)!.receivedText(0) === "from 1", 5_000);
  expect((await twoToOne.waitForBytes(10, 5_000)).toString()).toBe("1;+1from 2");
});

test("delayLink slows one link both ways and leaves the others alone", async () => {
  const { network } = await cluster();
  network.delayLink(1, 2, 200);
  expect(network.link(1, 2).faults().delayMs).toBe(200);
  expect(network.link(2, 1).faults().delayMs).toBe(200);
  expect(network.link(1, 3).faults().delayMs).toBe(0);
  const started = performance.now();
  expect(await reach(network, 1, 2)).toBe("ok");
  // The greeting crosses once, the ping twice: at least three delays.
  expect(performance.now() - started).toBeGreaterThanOrEqual(3 * 200 - 5);
});

test("moveNode sends new connections to a node's new address", async () => {
  const { network, servers } = await cluster();
  await servers.get(2)!.close();
  const restarted = await RecordingServer.start({ echo: true, greeting: "2;" });
  cleanups.push(() => restarted.close());
  network.moveNode(2, { host: "127.0.0.1", port: restarted.port });
  expect(await reach(network, 1, 2)).toBe("ok");
  expect(await reach(network, 3, 2)).toBe("ok");
  expect(restarted.connections.length).toBe(2);
});

test("refuses duplicate node ids and frees every port on close", async () => {
  await expect(FaultNetwork.start([{ id: 1, host: "127.0.0.1", port: 1 }, { id: 1, host: "127.0.0.1", port: 2 }])).rejects.toThrow(RangeError);
  const { network } = await cluster();
  const ports = [1, 2, 3].flatMap((id) => network.peersOf(id)).map((address) => Number(address.split(":")[1]));
  await network.close();
  for (const port of ports) expect((await TestClient.dial(port)).errorCode).toBe("ECONNREFUSED");
});
