/**
 * Run as its own process by fault-proxy.test.ts: exercises every fault with connections
 * left in every state (flowing, delayed with chunks in flight, held by a blackhole,
 * half-held by a one-way link, reset), then closes the proxies and the server. It prints
 * "closed" and must then exit by itself: a socket or timer left behind keeps the event
 * loop alive and the test sees the process hang.
 */
import { FaultProxy } from "./fault-proxy.ts";
import { RecordingServer, TestClient } from "./tcp-endpoints.ts";

const server = await RecordingServer.start({ echo: true });
const target = { host: "127.0.0.1", port: server.port };
const proxies = await Promise.all([1, 2, 3, 4].map(() => FaultProxy.start(target)));
const [flowing, delayed, blackholed, oneWay] = proxies;

const clients: TestClient[] = [];
for (const proxy of proxies) {
  const client = await TestClient.dial(proxy.port);
  client.socket.write("hello");
  await client.waitForBytes(5);
  clients.push(client);
}
delayed.delay(60_000);
clients[1].socket.write("in flight for a minute");
blackholed.cut("blackhole");
clients[2].socket.write("held");
clients.push(await TestClient.dial(blackholed.port));
oneWay.oneWay("toTarget");
clients[3].socket.write("answer held");
flowing.cut("reset");
await clients[0].waitClosed();

await Promise.all(proxies.map((proxy) => proxy.close()));
await server.close();
console.log(`closed ${proxies.map((proxy) => proxy.port).join(",")}`);
