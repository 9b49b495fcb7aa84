import { describe, expect, test } from "bun:test";
import { CORE_LIMITS } from "../../src/config/core.ts";
import { writeStaging } from "../../src/storage/write-staging.ts";

describe("writeStaging", () => {
  test("is one buffer of the configured size, the same on every call of the thread", () => {
    const first = writeStaging();
    expect(first.byteLength).toBe(CORE_LIMITS.writeStagingBytes.value);
    expect(CORE_LIMITS.writeStagingBytes.value).toBe(1024 * 1024);
    expect(writeStaging()).toBe(first);
  });

  test("a worker thread gets a buffer of its own", async () => {
    const source = `
      import { writeStaging } from ${JSON.stringify(new URL("../../src/storage/write-staging.ts", import.meta.url).href)};
      writeStaging().fill(7);
      postMessage(writeStaging().byteLength);
    `;
    const url = URL.createObjectURL(new Blob([source], { type: "application/typescript" }));
    const worker = new Worker(url);
    const mine = writeStaging();
    mine.fill(1);
    const size = await new Promise<number>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<number>) => resolve(event.data);
      worker.onerror = (event) => reject(event);
    });
    worker.terminate();
    expect(size).toBe(CORE_LIMITS.writeStagingBytes.value);
    // The worker filled its own with 7s: this thread's is untouched.
    expect(mine.every((b) => b === 1)).toBe(true);
  });
});
