import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLocalCluster } from "../../src/cluster/launcher.ts";
import { freePortRange } from "../helpers/port-range.ts";

/** The launcher's refusals, which happen before any broker is spawned. */

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function captureStderr(): () => string {
  let text = "";
  const spy = spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    text += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
    return true;
  });
  cleanups.push(() => spy.mockRestore());
  return () => text;
}

describe("runLocalCluster refusals", () => {
  test.each([
    [{ count: 0, basePort: 30000 }, "--count must be a whole number of at least 1 (got 0)"],
    [{ count: 2.5, basePort: 30000 }, "--count must be a whole number of at least 1 (got 2.5)"],
    [{ count: 3, basePort: 65534 }, "--base-port must leave room for 3 consecutive ports between 1 and 65535 (got 65534)"],
    [{ count: 1, basePort: 0 }, "--base-port must leave room for 1 consecutive port between 1 and 65535 (got 0)"],
  ])("%o is refused", async (opts, message) => {
    const stderr = captureStderr();
    const code = await runLocalCluster({ ...opts, dataDir: "unused", brokerArgs: [] });
    expect(code).toBe(1);
    expect(stderr()).toBe(`Error: ${message}\n`);
  });

  test("every taken port is named and nothing is created", async () => {
    const base = freePortRange(3);
    const a = Bun.listen({ hostname: "127.0.0.1", port: base, socket: { data() {} } });
    const b = Bun.listen({ hostname: "0.0.0.0", port: base + 2, socket: { data() {} } });
    cleanups.push(() => a.stop(true), () => b.stop(true));
    const dir = mkdtempSync(join(tmpdir(), "streamnest-launcher-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const stderr = captureStderr();

    const code = await runLocalCluster({ count: 3, basePort: base, dataDir: join(dir, "data"), brokerArgs: [] });

    expect(code).toBe(1);
    expect(stderr()).toBe(
      `Error: port ${base} is already in use by another process\n` +
        `Error: port ${base + 2} is already in use by another process\n` +
        "No broker was started. Free those ports or choose other ports with --base-port.\n",
    );
    expect(existsSync(join(dir, "data"))).toBe(false);
  });
});
