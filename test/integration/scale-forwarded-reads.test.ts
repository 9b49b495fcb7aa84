import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LauncherProcess } from "../helpers/launcher-process.ts";
import { freePortRange } from "../helpers/port-range.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * Many readers parked on a broker that does not lead their partition: each forwarded
 * long poll holds a call to the leader. Bun's fetch runs at most 256 calls at once in a
 * process unless told otherwise at start, so the 257th call to any peer (a forwarded
 * produce, a heartbeat) used to queue behind the parked polls and time out as 503.
 */

const READERS = 300;

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A GET through node:http, which this test process does not cap as it caps fetch. */
function get(agent: http.Agent, port: number, path: string): { answer: Promise<{ status: number; body: string }>; abort: () => void } {
  let request: http.ClientRequest | undefined;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request = http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    request.on("error", reject);
  });
  return { answer, abort: () => request?.destroy() };
}

async function post(port: number, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function gauge(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}


test(
  `${READERS} long polls forwarded through one broker leave its calls to every peer working`,
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "streamnest-scale-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const base = freePortRange(3);
    const launcher = LauncherProcess.start([`--count=3`, `--base-port=${base}`, "--host=127.0.0.1", `--data-dir=${dataDir}`]);
    cleanups.push(async () => {
      if (launcher.proc.exitCode === null) {
        launcher.kill("SIGKILL");
        await launcher.exited;
      }
    });
    await launcher.waitUp(3);
    const [leader, proxy, other] = [base, base + 1, base + 2];
    // Partition p lives on broker p + 1: partition 0 on the first, 2 on the third.
    expect(await post(leader, "/create-topic", { topic: "wait", partitions: 1 })).toEqual({ status: 200, body: { status: "created" } });
    expect(await post(leader, "/create-topic", { topic: "busy", partitions: 3 })).toEqual({ status: 200, body: { status: "created" } });

    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    cleanups.push(() => agent.destroy());
    const polls = Array.from({ length: READERS }, () =>
      get(agent, proxy, "/topics/wait/partitions/0/records?offset=0&timeout_ms=60000"),
    );
    cleanups.push(() =>
      polls.forEach((p) => {
        p.answer.catch(() => undefined);
        p.abort();
      }),
    );
    // At least as many as the old cap: the rest may still be on their way, and find the record.
    await untilTrue("256 polls parked on the leader", async () => (await gauge(leader, "streamnest_waiting_fetches")) >= 256);

    // Forwarded by the same broker to the two other leaders while every poll is parked.
    expect(await post(proxy, "/produce", { topic: "busy", message: "to the third", partition: 2 })).toEqual({
      status: 200,
      body: { offset: 0, partition: 2 },
    });
    expect(await post(proxy, "/create-topic", { topic: "later", partitions: 1 })).toEqual({ status: 200, body: { status: "created" } });
    expect(await post(other, "/produce", { topic: "wait", message: "wake", partition: 0 })).toEqual({
      status: 200,
      body: { offset: 0, partition: 0 },
    });

    const answers = await Promise.all(polls.map((p) => p.answer));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.body) as { records: { offset: number; message: string }[]; next_offset: number };
      expect(body.records.map((r) => [r.offset, r.message])).toEqual([[0, "wake"]]);
      expect(body.next_offset).toBe(1);
    }
    expect(await gauge(leader, "streamnest_waiting_fetches")).toBe(0);
  },
  45_000,
);
