import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../../src/lib/errors.ts";
import {
  isCheckpointTemp,
  readCheckpoint,
  removeCheckpointSync,
  writeCheckpointAsync,
  writeCheckpointSync,
} from "../../src/storage/checkpoint-file.ts";
import { PartitionLog } from "../../src/storage/index.ts";
import { tempDir } from "./fixtures/records.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const dir = tempDir("streamnest-checkpoint-");
  cleanups.push(dir.remove);
  return dir.path;
}

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return error instanceof StreamNestError ? `${error.code}: ${error.message}` : `not typed: ${String(error)}`;
  }
  return "no error";
}

describe("checkpoint files", () => {
  test("Kafka's layout: version, count, one entry a line; read back as written", () => {
    const path = join(folder(), "leader-epoch-checkpoint");
    expect(readCheckpoint(path, 2)).toBeNull();
    writeCheckpointSync(path, [
      [1, 0],
      [4, 1234567890123],
    ]);
    expect(readFileSync(path, "utf8")).toBe("0\n2\n1 0\n4 1234567890123\n");
    expect(readCheckpoint(path, 2)).toEqual([
      [1, 0],
      [4, 1234567890123],
    ]);
    writeCheckpointSync(path, []);
    expect(readFileSync(path, "utf8")).toBe("0\n0\n");
    expect(readCheckpoint(path, 2)).toEqual([]);
    // Replaced through a temporary file that does not stay.
    expect(readdirSync(join(path, "..")).filter(isCheckpointTemp)).toEqual([]);
    removeCheckpointSync(path);
    expect(existsSync(path)).toBe(false);
  });

  test("a damaged file is a STORAGE_ERROR naming it", () => {
    const path = join(folder(), "high-watermark-checkpoint");
    for (const text of ["", "0\n", "1\n1\n5\n", "0\n2\n5\n", "0\n1\n5 6\n", "0\n1\nx\n", "0\n1\n1.5\n"]) {
      writeFileSync(path, text);
      const message = messageOf(() => readCheckpoint(path, 1));
      expect(message).toStartWith("STORAGE_ERROR: ");
      expect(message).toContain(path);
    }
  });

  test("an async write lands unless a newer write came while it was flushing", async () => {
    const path = join(folder(), "high-watermark-checkpoint");
    expect(await writeCheckpointAsync(path, [[7]], () => true)).toBe(true);
    expect(readCheckpoint(path, 1)).toEqual([[7]]);
    let superseded = false;
    const slow = writeCheckpointAsync(path, [[9]], () => !superseded);
    // A synchronous write while the async one waits for its flush: the async one must not land over it.
    writeCheckpointSync(path, [[3]]);
    superseded = true;
    expect(await slow).toBe(false);
    expect(readCheckpoint(path, 1)).toEqual([[3]]);
    expect(readdirSync(join(path, "..")).filter(isCheckpointTemp)).toEqual([]);
  });

  test("a temporary file a crash left behind is ignored and removed by the next open", async () => {
    const root = folder();
    const path = join(root, "demo-0");
    const log = PartitionLog.open(path, { fsync: "never", highWatermark: "explicit" });
    await log.close();
    writeFileSync(join(path, "high-watermark-checkpoint.tmp"), "0\n1\n999\n");
    const again = PartitionLog.open(path, { fsync: "never", highWatermark: "explicit" });
    expect(again.highWatermark).toBe(0);
    expect(readdirSync(path).filter(isCheckpointTemp)).toEqual([]);
    await again.close();
  });
});
