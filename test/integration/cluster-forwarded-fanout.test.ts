import { describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanupsAfterEach } from "../helpers/cleanups.ts";
import { get, post } from "../helpers/cluster-http.ts";
import { freePorts } from "../helpers/ports.ts";
import { streamnestCommand } from "../helpers/streamnest-command.ts";

/**
 * A batch spread over many partitions reaches each other leader as one forwarded request
 * of one call per partition. The leader holds a log open per call being written, so it
 * must write them in waves of --max-open-partitions, as it does a local batch: all at
 * once, a broker under a low `ulimit -n` ran out of file descriptors and refused part of
 * the batch.
 */

const cleanups = cleanupsAfterEach();
const onUnix = process.platform !== "win32";
const LIMIT = 256;
const PARTITIONS = 300;

async function startLimitedCluster(): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), "streamnest-fanout-"));
  const ports = await freePorts(2);
  const procs: Subprocess[] = [];
  cleanups.push(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    rmSync(root, { recursive: true, force: true });
  });
  ports.forEach((port, i) => {
    const peers = ports.filter((p) => p !== port).map((p) => `localhost:${p}`);
    procs.push(
      Bun.spawn(
        ["sh", "-c", `ulimit -n ${LIMIT} && exec "$@"`, "sh", ...streamnestCommand(), "broker", `--id=${i + 1}`, `--port=${port}`,
          `--data-dir=${join(root, `b${i + 1}`)}`, `--peers=${peers.join(",")}`, "--cluster-secret=fanout", "--max-open-partitions=16"],
        { stdin: "ignore", stdout: "ignore", stderr: "ignore", env: { ...process.env, NO_COLOR: "1" } },
      ),
    );
  });
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  for (const [i, url] of urls.entries()) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (procs[i].exitCode !== null) throw new Error(`broker ${i + 1} exited with ${procs[i].exitCode}`);
      try {
        if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`broker ${i + 1} never answered /health`);
      await Bun.sleep(50);
    }
  }
  return urls;
}

describe("a batch over many partitions, forwarded to a leader under a low open-file limit", () => {
  test.skipIf(!onUnix)(`ulimit -n ${LIMIT}: all ${PARTITIONS} messages are written and read back`, async () => {
    const [first, second] = await startLimitedCluster();
    expect(await post(first, "/create-topic", { topic: "wide", partitions: PARTITIONS })).toEqual({ status: 200, body: { status: "created" } });
    const messages = Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, message: `m${p}` }));
    // Half of the partitions are led by broker 2: they go there as one forwarded request.
    const answer = await post<{ results: unknown[] }>(first, "/produce", { topic: "wide", messages });
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual(messages.map((m) => ({ partition: m.partition, offset: 0 })));
    for (let p = 0; p < PARTITIONS; p += 1) {
      const read = await get<{ records: { offset: number; message: string }[] }>(second, `/topics/wide/partitions/${p}/records?offset=0`);
      expect(read.body.records.map((r) => [r.offset, r.message])).toEqual([[0, `m${p}`]]);
    }
  }, 120_000);
});
