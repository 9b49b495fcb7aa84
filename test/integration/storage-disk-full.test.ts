import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BrokerProcess } from "../helpers/broker-harness.ts";
import { get, post } from "../helpers/cluster-http.ts";
import { canMountSmallDisk, fillDisk, fillDiskLeaving, freeDisk, mountSmallDisk } from "../storage/fixtures/small-disk.ts";
import { cleanupsAfterEach } from "../helpers/cleanups.ts";

/**
 * A real broker whose data dir is a 2 MB tmpfs, run out of space: a produce that could
 * not be written is refused with 507 STORAGE_FULL and never acknowledged, reads go on,
 * space freed means the next produce gets the next offset, and kill -9 in that state
 * loses no acknowledged record.
 */

const cleanups = cleanupsAfterEach();

interface Page {
  records: { offset: number; message: string }[];
  next_offset: number;
}

async function readAll(broker: BrokerProcess, topic: string, partition: number): Promise<string[]> {
  const messages: string[] = [];
  for (let offset = 0; ; ) {
    const page = await get<Page>(broker, `/topics/${topic}/partitions/${partition}/records?offset=${offset}&max=1000`);
    expect(page.status).toBe(200);
    if (page.body.records.length === 0) return messages;
    for (const r of page.body.records) {
      expect(r.offset).toBe(messages.length);
      messages.push(r.message);
    }
    offset = page.body.next_offset;
  }
}

const big = (i: number): string => `${i}:${"x".repeat(20_000)}`;

describe.skipIf(!canMountSmallDisk)("a broker on a full disk (tmpfs; needs permission to mount)", () => {
  test("refuses with 507 STORAGE_FULL, keeps serving, resumes at the next offset, and kill -9 loses nothing acknowledged", async () => {
    const disk = mountSmallDisk(2 * 1024 * 1024);
    if (disk === null) throw new Error("mounting a tmpfs failed after it had worked");
    cleanups.push(disk.unmount);
    const broker = new BrokerProcess(1, 0, join(disk.path, "data"), [], {});
    await broker.start();
    cleanups.push(() => broker.kill9());

    expect((await post(broker, "/create-topic", { topic: "t", partitions: 2 })).body).toEqual({ status: "created" });
    expect((await post(broker, "/create-topic", { topic: "never", partitions: 1 })).body).toEqual({ status: "created" });
    expect((await post(broker, "/produce", { topic: "t", message: "other", partition: 1 })).body).toEqual({ offset: 0, partition: 1 });
    const acked: string[] = [];
    for (let i = 0; i < 10; i++) {
      const answer = await post(broker, "/produce", { topic: "t", message: big(i), partition: 0 });
      expect(answer.body).toEqual({ offset: i, partition: 0 });
      acked.push(big(i));
    }
    const filler = fillDisk(disk.path);

    const refused = await post<{ error: string; message: string }>(broker, "/produce", { topic: "t", message: big(99), partition: 0 });
    expect(refused.status).toBe(507);
    expect(refused.body.error).toBe("STORAGE_FULL");
    // Named inside the data dir only: a client learns nothing of the broker's file system.
    expect(refused.body.message).toBe("append to t-0 failed: the disk is full (ENOSPC: no space left on device, write); free space on it and retry");
    expect(JSON.stringify(refused.body)).not.toContain(disk.path);
    const batch = await post<{ error: string; message: string; results: { error: string; message: string }[] }>(broker, "/produce", {
      topic: "t",
      messages: [{ message: big(100), partition: 0 }, { message: big(101), partition: 0 }],
    });
    expect(batch.status).toBe(507);
    expect(batch.body.error).toBe("STORAGE_FULL");
    expect(batch.body.results.map((r) => r.error)).toEqual(["STORAGE_FULL", "STORAGE_FULL"]);
    expect(JSON.stringify(batch.body)).not.toContain(disk.path);
    expect(batch.body.results[0].message).toStartWith("append to t-0 failed: the disk is full");
    // A partition never written cannot be made either; it is refused the same way and left as it was.
    const fresh = await post<{ error: string }>(broker, "/produce", { topic: "never", message: "m", partition: 0 });
    expect(fresh.status).toBe(507);
    expect(fresh.body.error).toBe("STORAGE_FULL");
    expect(existsSync(join(disk.path, "data", "never-0"))).toBe(false);

    // Still up and serving reads of every partition, with no trace of the refused records.
    expect((await get(broker, "/health")).status).toBe(200);
    expect(await readAll(broker, "t", 0)).toEqual(acked);
    expect(await readAll(broker, "t", 1)).toEqual(["other"]);
    const described = await get<{ partitions: { end_offset: number }[] }>(broker, "/topics/t");
    expect(described.body.partitions.map((p) => p.end_offset)).toEqual([10, 1]);
    expect((await get<{ partitions: { end_offset: number }[] }>(broker, "/topics/never")).body.partitions[0].end_offset).toBe(0);
    // Said once in the log, however many produces were refused.
    expect(broker.output.split("the disk is full; appends are refused").length - 1).toBe(1);
    expect(broker.output).not.toContain("INTERNAL_ERROR");

    freeDisk(filler);
    expect((await post(broker, "/produce", { topic: "t", message: big(10), partition: 0 })).body).toEqual({ offset: 10, partition: 0 });
    acked.push(big(10));
    expect((await post(broker, "/produce", { topic: "never", message: "m", partition: 0 })).body).toEqual({ offset: 0, partition: 0 });
    await broker.waitForOutput("appends resumed; the disk has room again");

    // Full again, then kill -9: a restart still has every acknowledged record.
    const again = fillDisk(disk.path);
    expect((await post(broker, "/produce", { topic: "t", message: big(98), partition: 0 })).status).toBe(507);
    await broker.kill9();
    freeDisk(again);
    await broker.start();
    expect(await readAll(broker, "t", 0)).toEqual(acked);
    expect(await readAll(broker, "t", 1)).toEqual(["other"]);
    expect(await readAll(broker, "never", 0)).toEqual(["m"]);
    expect((await post(broker, "/produce", { topic: "t", message: "after", partition: 0 })).body).toEqual({ offset: 11, partition: 0 });
  }, 60_000);

  test("a metadata change on a full disk is refused with 507 before it is appended; after freeing space and a restart the metadata holds exactly the changes acknowledged", async () => {
    const disk = mountSmallDisk(2 * 1024 * 1024);
    if (disk === null) throw new Error("mounting a tmpfs failed after it had worked");
    cleanups.push(disk.unmount);
    const broker = new BrokerProcess(1, 0, join(disk.path, "data"), [], {});
    await broker.start();
    cleanups.push(() => broker.kill9());
    const names = Array.from({ length: 60 }, (_, i) => `a-topic-with-a-rather-long-name-${i}`);
    for (const topic of names) expect((await post(broker, "/create-topic", { topic, partitions: 3 })).status).toBe(200);
    const logDir = join(disk.path, "data", "meta", "__cluster_metadata-0");
    const segment = join(logDir, "log", "00000000000000000000.log");
    const before = readFileSync(segment);
    // Room for two pages: less than an append to the metadata log may need.
    const filler = fillDiskLeaving(disk.path, 8192);
    const refused = await post<{ error: string; message: string }>(broker, "/create-topic", { topic: "one-more", partitions: 1 });
    // As a produce on a full disk: 507 STORAGE_FULL, no stack trace in the log, and the client sees the path inside the data dir only.
    expect(refused.status).toBe(507);
    expect(refused.body.error).toBe("STORAGE_FULL");
    expect(refused.body.message).toMatch(
      /^the metadata change was refused before it was appended to meta\/__cluster_metadata-0: the disk is full \(\d+ bytes free, \d+ needed\); free space on it and retry$/,
    );
    expect(broker.output).not.toMatch(/^\s+at /m);
    // Nothing of it reached the log, and the broker does not hold it either.
    expect(readFileSync(segment).equals(before)).toBe(true);
    expect((await get(broker, "/topics/one-more")).status).toBe(404);
    expect((await get(broker, "/health")).status).toBe(200);
    freeDisk(filler);
    await broker.stop();
    await broker.start();
    const listed = await get<{ topics: string[] }>(broker, "/list-topics");
    expect(listed.body.topics.sort()).toEqual([...names].sort());
    // With room again the same change is made, whole.
    expect((await post(broker, "/create-topic", { topic: "one-more", partitions: 1 })).body).toEqual({ status: "created" });
    await broker.stop();
    await broker.start();
    expect((await get<{ topics: string[] }>(broker, "/list-topics")).body.topics.sort()).toEqual([...names, "one-more"].sort());
  }, 60_000);
});
