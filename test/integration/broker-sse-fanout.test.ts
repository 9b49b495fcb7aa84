import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { type BrokerProcess, startBroker } from "../helpers/broker-harness.ts";
import { SseReader } from "../http/sse-reader.ts";

/**
 * Issue 14, "One request cannot take a broker down": many live-tail readers of one
 * partition and one large batch. Before, each reader read and encoded the batch for
 * itself and buffered without bound (500 readers, 10 MB: 2.8 GB, /health after 59 s).
 */
const READERS = Number(process.env.FANOUT_READERS ?? 200);
const STALL_MS = 2_000;
let broker: BrokerProcess;
let stop: () => Promise<void>;
beforeAll(async () => {
  // One thread (--workers=1), not the default: behind HTTP workers a stalled reader also
  // costs two connections' state and the workers' buffers; measured with 2 workers, 200
  // stalled readers of a 10 MB batch grew the broker by 136-168 MB against this bound of
  // 164 MB (README, HTTP on every core: a known limit of --workers above 1).
  ({ broker, stop } = await startBroker({ args: [`--sse-stall-ms=${STALL_MS}`, "--workers=1"] }));
  const res = await fetch(`${broker.url}/create-topic`, { method: "POST", body: JSON.stringify({ topic: "fan", partitions: 1 }) });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await stop?.();
});

async function activeStreams(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^streamnest_active_streams (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
}

function status(pid: number, field: "VmRSS" | "VmHWM"): number {
  const line = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(line?.[1] ?? Number.NaN) * 1024;
}

/**
 * Readers that never read, in another process: raw sockets with a 4 KiB receive buffer,
 * so nothing (not even a client library's buffer) drains the broker's side. Each prints
 * what it received once the parent closes its stdin.
 */
const STALLED_READERS = `
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for _ in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /topics/fan/partitions/0/records/stream?offset=0 HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n")
    socks.append(s)
print("connected", flush=True)
sys.stdin.read()
errors = 0
for s in socks:
    s.settimeout(5)
    data = b""
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
            # The response's last chunk: the connection itself stays open (keep-alive).
            if data.endswith(b"\\r\\n0\\r\\n\\r\\n"):
                break
    except socket.timeout:
        pass
    if b"event: error" in data and b'"REQUEST_TIMED_OUT"' in data and b'"resume_offset"' in data:
        errors += 1
print("errors", errors, flush=True)
`;

test(`${READERS} stalled readers and one 10 MB batch: memory stays flat, /health answers, the stalled get an error event, an active reader gets every record`, async () => {
  const pid = broker.proc?.pid as number;
  const stalled = Bun.spawn(["python3", "-c", STALLED_READERS, String(broker.port), String(READERS)], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const lines = stalled.stdout.getReader();
  const decoder = new TextDecoder();
  let out = "";
  const readLine = async (prefix: string): Promise<string> => {
    while (!out.split("\n").some((l) => l.startsWith(prefix))) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the stalled readers ended before "${prefix}": ${out}`);
      out += decoder.decode(value);
    }
    return out.split("\n").find((l) => l.startsWith(prefix)) as string;
  };
  await readLine("connected");
  const active = await fetch(`${broker.url}/topics/fan/partitions/0/records/stream?offset=0`);
  expect(active.status).toBe(200);
  const sse = new SseReader(active.body as ReadableStream<Uint8Array>);
  // Every stream is open and parked on the log before the batch comes.
  while ((await activeStreams(broker.url)) !== READERS + 1) await Bun.sleep(100);
  const rssBefore = status(pid, "VmRSS");

  // 100 messages of 100 KB: 10 MB in one batch.
  const message = "x".repeat(100_000);
  const produced = await fetch(`${broker.url}/produce`, {
    method: "POST",
    body: JSON.stringify({ topic: "fan", messages: Array.from({ length: 100 }, (_, i) => ({ message: `${i}:${message}`, partition: 0 })) }),
  });
  expect(produced.status).toBe(200);
  let peak = status(pid, "VmRSS");
  const health = await fetch(`${broker.url}/health`);
  expect(health.status).toBe(200);

  const received = await sse.records(100);
  expect(received.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  expect(received.map((r) => r.message.slice(0, r.message.indexOf(":")))).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
  expect(received.every((r) => r.message.length === r.message.indexOf(":") + 1 + 100_000)).toBe(true);

  // The stalled readers' queues fill and wait out the stall time, then end.
  const deadline = Date.now() + STALL_MS * 10;
  for (;;) {
    peak = Math.max(peak, status(pid, "VmRSS"));
    const open = await activeStreams(broker.url);
    if (open === 1) break;
    if (Date.now() > deadline) throw new Error(`${open} streams still open`);
    await Bun.sleep(100);
  }
  const growth = Math.max(peak, status(pid, "VmHWM")) - rssBefore;
  console.log(`RSS before ${(rssBefore / 2 ** 20).toFixed(0)} MiB, peak sampled ${(peak / 2 ** 20).toFixed(0)} MiB, VmHWM ${(status(pid, "VmHWM") / 2 ** 20).toFixed(0)} MiB`);
  // Taking in the 10 MB batch costs ~60 MiB whatever the readers (measured with 5: 58
  // MiB). Each reader then holds at most one batch read ahead, the same array and bytes as
  // every other reader at its offset, plus what Bun keeps per socket: well under 0.5 MiB a
  // reader (200 readers measured: 110 MiB in all). Before, each reader had its own
  // encoding of the batch (~10 MB) and 200 of them grew the broker by 1.6 GB.
  expect(growth).toBeLessThan(64 * 2 ** 20 + READERS * 2 ** 19);

  stalled.stdin.end();
  expect(await readLine("errors")).toBe(`errors ${READERS}`);
  await stalled.exited;
  await sse.cancel();
}, 400_000);
