import { afterAll, beforeAll, expect, test } from "bun:test";
import { call, get, post } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";
import { untilTrue } from "../helpers/until.ts";

/** The metadata log is the truth on disk: voters killed and restarted bring the same state back. */

let cluster: QuorumCluster;

beforeAll(async () => {
  // Snapshots every 4 entries, so that the restart replays a snapshot plus a log tail.
  cluster = await startQuorumCluster(3, { args: ["--metadata-snapshot-entries=4"] });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const state = async (id: number) => {
  // The version is the committed offset: a new leader's epoch marker moves it on, so it is compared apart.
  const { version: _offset, ...metadata } = (await get<{ topic_partitions: Record<string, unknown>; version: number }>(cluster.broker(id), "/metadata")).body;
  const schemas = (await get<unknown>(cluster.broker(id), "/schemas/with-schema")).body;
  const version = (await get<{ metadata_version: number }>(cluster.broker(id), "/cluster")).body.metadata_version;
  return { metadata, schemas, version };
};

// Single-copy topics: what must come back is the metadata as it was, and the ISR changes and
// elections that a whole cluster restarting sets off in replicated partitions would move it.
const createSingle = (via: number, topic: string, partitions = 1) =>
  post<{ status?: string }>(cluster.broker(via), "/create-topic", { topic, partitions, replication_factor: 1 });

test("every voter killed -9 and restarted: the same metadata comes back", async () => {
  for (let i = 0; i < 10; i++) expect((await createSingle((i % 3) + 1, `keep-${i}`, 2)).body.status).toBe("created");
  expect((await createSingle(1, "with-schema")).body.status).toBe("created");
  const registered = await post(cluster.broker(2), "/register-schema", { topic: "with-schema", schema: { type: "object" } });
  expect(registered.status).toBe(200);
  expect((await call(cluster.broker(3), "DELETE", "/topics/keep-3")).status).toBe(200);
  await untilTrue(
    "every broker at the same version",
    async () => new Set(await Promise.all([1, 2, 3].map(async (id) => (await state(id)).version))).size === 1,
    20_000,
  );
  const before = await state(1);

  await Promise.all(cluster.brokers.map((b) => b.kill9()));
  await Promise.all(cluster.brokers.map((b) => cluster.start(b.id)));
  await cluster.leader();
  for (const id of [1, 2, 3]) {
    await untilTrue(`broker ${id} back at version ${before.version} or later`, async () => (await state(id)).version >= before.version, 20_000);
    const after = await state(id);
    expect(after.metadata).toEqual(before.metadata);
    expect(after.schemas).toEqual(before.schemas);
  }
  // And it still takes changes.
  expect((await cluster.create(2, "after-restart")).body.status).toBe("created");
}, 120_000);
