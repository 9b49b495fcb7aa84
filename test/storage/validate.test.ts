import { describe, expect, test } from "bun:test";
import { StreamNestError } from "../../src/lib/errors.ts";
import { DEFAULT_LOG_OPTIONS, type LogOptions, type RecordInput } from "../../src/storage/types.ts";
import { validateLogOptions, validateOffset, validateRecord } from "../../src/storage/validate.ts";

/** "ok", or the code and message thrown. */
function outcome(action: () => void): string {
  try {
    action();
  } catch (error) {
    if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "ok";
}

const bytes = new Uint8Array([1, 2]);
const good: RecordInput = { key: null, value: bytes, headers: [{ key: "h", value: null }], timestamp: 1_700_000_000_000 };
/** A record with one field replaced by a wrong value, as code that ignores the types would pass it. */
const withField = (field: string, value: unknown): RecordInput => ({ ...good, [field]: value }) as RecordInput;

describe("validateRecord", () => {
  test("accepts bytes, null key, null value (a tombstone), null header value", () => {
    expect(outcome(() => validateRecord(good, 0))).toBe("ok");
    expect(outcome(() => validateRecord({ ...good, key: bytes, headers: [{ key: "", value: bytes }] }, 0))).toBe("ok");
    expect(outcome(() => validateRecord({ ...good, value: null }, 0))).toBe("ok");
  });

  test("names the record and the field that is wrong", () => {
    expect(outcome(() => validateRecord(null as unknown as RecordInput, 3))).toBe("INVALID_REQUEST: record 3: is not an object");
    expect(outcome(() => validateRecord(withField("value", "text"), 1))).toBe("INVALID_REQUEST: record 1: value must be bytes (Uint8Array) or null");
    expect(outcome(() => validateRecord(withField("key", "k"), 0))).toBe("INVALID_REQUEST: record 0: key must be bytes (Uint8Array) or null");
    expect(outcome(() => validateRecord(withField("key", undefined), 0))).toBe("INVALID_REQUEST: record 0: key must be bytes (Uint8Array) or null");
    expect(outcome(() => validateRecord(withField("timestamp", 1.5), 0))).toBe(
      "INVALID_REQUEST: record 0: timestamp must be an integer number of milliseconds, got 1.5",
    );
    expect(outcome(() => validateRecord(withField("timestamp", "1"), 0))).toBe(
      "INVALID_REQUEST: record 0: timestamp must be an integer number of milliseconds, got 1",
    );
    expect(outcome(() => validateRecord(withField("headers", {}), 0))).toBe("INVALID_REQUEST: record 0: headers must be an array");
    expect(outcome(() => validateRecord(withField("headers", [{ key: 1, value: null }]), 0))).toBe("INVALID_REQUEST: record 0: header 0 needs a string key");
    expect(outcome(() => validateRecord(withField("headers", [{ key: "a", value: null }, null]), 0))).toBe(
      "INVALID_REQUEST: record 0: header 1 needs a string key",
    );
    expect(outcome(() => validateRecord(withField("headers", [{ key: "a", value: "v" }]), 0))).toBe(
      "INVALID_REQUEST: record 0: header 0 value must be bytes (Uint8Array) or null",
    );
  });
});

describe("validateOffset", () => {
  test("accepts non-negative safe integers only", () => {
    expect(outcome(() => validateOffset(0, "offset"))).toBe("ok");
    expect(outcome(() => validateOffset(2 ** 53 - 1, "offset"))).toBe("ok");
    expect(outcome(() => validateOffset(-1, "truncation offset"))).toBe("INVALID_OFFSET: truncation offset must be a non-negative integer, got -1");
    expect(outcome(() => validateOffset(1.5, "offset"))).toBe("INVALID_OFFSET: offset must be a non-negative integer, got 1.5");
    expect(outcome(() => validateOffset(Number.NaN, "offset"))).toBe("INVALID_OFFSET: offset must be a non-negative integer, got NaN");
    expect(outcome(() => validateOffset(2 ** 53, "offset"))).toBe(`INVALID_OFFSET: offset must be a non-negative integer, got ${2 ** 53}`);
    expect(outcome(() => validateOffset("3" as unknown as number, "offset"))).toBe("INVALID_OFFSET: offset must be a non-negative integer, got 3");
  });
});

describe("validateLogOptions", () => {
  const options = (change: Record<string, unknown>): LogOptions => ({ ...DEFAULT_LOG_OPTIONS, ...change }) as LogOptions;

  test("accepts the defaults and optional retention limits", () => {
    expect(outcome(() => validateLogOptions(DEFAULT_LOG_OPTIONS))).toBe("ok");
    expect(outcome(() => validateLogOptions(options({ retentionMs: 0, retentionBytes: 0 })))).toBe("ok");
  });

  test("names the option that is wrong", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ segmentBytes: 0 }, "segmentBytes must be a positive integer"],
      [{ segmentBytes: 1.5 }, "segmentBytes must be a positive integer"],
      [{ fsync: "sometimes" }, "fsync must be always, interval or never, got sometimes"],
      [{ fsyncIntervalMs: -5 }, "fsyncIntervalMs must be a positive integer"],
      [{ maxRecordBytes: "1" }, "maxRecordBytes must be a positive integer"],
      [{ highWatermark: "replicated" }, "highWatermark must be log-end or explicit, got replicated"],
      [{ highWatermarkCheckpointMs: 0 }, "highWatermarkCheckpointMs must be a positive integer"],
      [{ retentionMs: -1 }, "retentionMs must be a non-negative number"],
      [{ retentionBytes: "10" }, "retentionBytes must be a non-negative number"],
    ];
    for (const [change, message] of cases) expect(outcome(() => validateLogOptions(options(change)))).toBe(`INVALID_REQUEST: log options: ${message}`);
  });
});
