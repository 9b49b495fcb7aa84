import { describe, expect, test } from "bun:test";
import { HTTP, HTTP_LIMITS, suggestedHttpWorkers } from "../../src/config/http.ts";
import { readSection } from "../../src/config/read.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof StreamNestError) return error.message;
    throw error;
  }
  return "no error";
}

describe("HTTP", () => {
  test("defaults: port 8080 on every interface, 32 MiB bodies, no port file", () => {
    expect(readSection(HTTP, {}, {})).toEqual({
      port: 8080,
      host: "0.0.0.0",
      portFile: undefined,
      allowedHosts: undefined,
      maxBodyBytes: 32 * 1024 * 1024,
      workers: suggestedHttpWorkers(),
      sseStallMs: 30_000,
    });
  });

  test("port 0 is allowed (an ephemeral port); sizes take binary units", () => {
    expect(readSection(HTTP, { port: "0", host: "127.0.0.1", "port-file": "/tmp/p" }, { STREAMNEST_MAX_BODY_BYTES: "1MiB" })).toEqual({
      port: 0,
      host: "127.0.0.1",
      allowedHosts: undefined,
      portFile: "/tmp/p",
      maxBodyBytes: 1024 * 1024,
      workers: suggestedHttpWorkers(),
      sseStallMs: 30_000,
    });
    expect(readSection(HTTP, {}, { STREAMNEST_PORT: "9001" }).port).toBe(9001);
  });

  test("refuses a port out of range and an empty body limit, naming where each came from", () => {
    expect(messageOf(() => readSection(HTTP, { port: "65536" }, {}))).toBe('--port must be a whole number from 0 to 65535, not "65536"');
    expect(messageOf(() => readSection(HTTP, {}, { STREAMNEST_PORT: "-1" }))).toBe('STREAMNEST_PORT must be a whole number from 0 to 65535, not "-1"');
    expect(messageOf(() => readSection(HTTP, { "max-body-bytes": "0" }, {}))).toBe(
      '--max-body-bytes must be a size in bytes of at least 1 (e.g. 1048576 or 1MiB), not "0"',
    );
  });

  test("fixed limits", () => {
    expect(HTTP_LIMITS.sseHeartbeatMs).toEqual({ value: 15_000, unit: "ms", help: "interval of the keep-alive comment on a server-sent event stream" });
    expect(HTTP_LIMITS.maxBatchMessages.value).toBe(100_000);
    expect(HTTP_LIMITS.idleTimeoutS.value).toBe(60);
    // Bun.serve's idleTimeout is at most 255 seconds.
    expect(HTTP_LIMITS.idleTimeoutS.value).toBeLessThanOrEqual(255);
  });
});

describe("--workers", () => {
  test("default: the cores of a Linux machine, at most 8; 1 elsewhere", () => {
    expect(readSection(HTTP, {}, {}).workers).toBe(suggestedHttpWorkers());
    expect(suggestedHttpWorkers("linux")).toBe(Math.min(8, Math.max(1, navigator.hardwareConcurrency - 1)));
    // One core is left to the thread that owns the logs; at most 8 workers.
    expect([1, 2, 3, 4, 8, 9, 16, 64].map((cores) => suggestedHttpWorkers("linux", cores))).toEqual([1, 1, 2, 3, 7, 8, 8, 8]);
    expect(suggestedHttpWorkers("darwin", 16)).toBe(1);
    expect(suggestedHttpWorkers("darwin")).toBe(1);
    expect(suggestedHttpWorkers("win32")).toBe(1);
  });

  test("a whole number from 1 to 64, by flag or $STREAMNEST_WORKERS; anything else is one line naming it", () => {
    expect(readSection(HTTP, { workers: "1" }, {}).workers).toBe(1);
    expect(readSection(HTTP, {}, { STREAMNEST_WORKERS: "4" }).workers).toBe(4);
    for (const given of ["0", "two", "65", "1.5", "-2"])
      expect(messageOf(() => readSection(HTTP, { workers: given }, {}))).toBe(`--workers must be a whole number from 1 to 64, not "${given}"`);
    expect(messageOf(() => readSection(HTTP, {}, { STREAMNEST_WORKERS: "0" }))).toBe('STREAMNEST_WORKERS must be a whole number from 1 to 64, not "0"');
  });
});
