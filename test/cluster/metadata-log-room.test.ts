import { expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { ensureRoomForEntry, freeBytes, METADATA_APPEND_RESERVE_BYTES } from "../../src/cluster/metadata-log-room.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

test("an entry is let through when the disk has the entry plus the reserve free, and refused with STORAGE_FULL below that", () => {
  const needed = 500 + METADATA_APPEND_RESERVE_BYTES;
  expect(() => ensureRoomForEntry("/m", 500, () => needed)).not.toThrow();
  let refused: unknown;
  try {
    ensureRoomForEntry("/m", 500, () => needed - 1);
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(StreamNestError);
  expect((refused as StreamNestError).code).toBe("STORAGE_FULL");
  expect((refused as StreamNestError).message).toBe(
    `the metadata change was refused before it was appended to /m: the disk is full (${needed - 1} bytes free, ${needed} needed); free space on it and retry`,
  );
});

test("a file system that cannot say its free space leaves the append to fail by itself", () => {
  expect(() => ensureRoomForEntry("/m", 500, () => null)).not.toThrow();
  expect(freeBytes("/no/such/dir/anywhere")).toBe(null);
  expect(freeBytes(tmpdir())).toBeGreaterThan(0);
});
