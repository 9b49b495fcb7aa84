import { describe, expect, test } from "bun:test";
import { cleanupsAfterEach } from "../helpers/cleanups.ts";
import { get, post } from "../helpers/cluster-http.ts";
import { startCluster } from "../helpers/broker-harness.ts";

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
  const cluster = await startCluster(2, {
    secret: "fanout-cluster-secret",
    args: ["--max-open-partitions=16"],
    wrap: ["sh", "-c", `ulimit -n ${LIMIT} && exec "$@"`, "sh"],
  });
  cleanups.push(() => cluster.stop());
  return cluster.urls;
}

describe("a batch over many partitions, forwarded to a leader under a low open-file limit", () => {
  test.skipIf(!onUnix)(`ulimit -n ${LIMIT}: all ${PARTITIONS} messages are written and read back`, async () => {
    const [first, second] = await startLimitedCluster();
    // One copy each: a replicated partition's log stays open for good (its replication
    // needs it), whereas these are opened and closed again under --max-open-partitions.
    expect(await post(first, "/create-topic", { topic: "wide", partitions: PARTITIONS, replication_factor: 1 })).toEqual({
      status: 200,
      body: { status: "created" },
    });
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
