import { describe, expect, test } from "bun:test";
import { formatBytes, formatCount, formatDuration, formatRate, formatTime, messageCount } from "../../src/console/format.ts";

describe("formatting", () => {
  test("sizes", () => {
    expect(formatBytes(undefined)).toBe("—");
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(50 * 1024 * 1024)).toBe("50 MiB");
  });
  test("counts, rates, times", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(null)).toBe("—");
    expect(formatRate(0)).toBe("0/s");
    expect(formatRate(2.345)).toBe("2.3/s");
    expect(formatRate(1234.4)).toBe("1,234/s");
    expect(formatRate(null)).toBe("—");
    expect(formatTime(Date.UTC(2026, 11, 4, 14, 0, 1, 5))).toBe("2026-12-04 14:00:01.005 UTC");
    expect(messageCount(3, 10)).toBe(7);
    expect(messageCount(undefined, 10)).toBeNull();
  });
});

test("formatDuration names a retention in its largest whole unit", () => {
  expect([86_400_000, 604_800_000, 3_600_000, 90_000, 60_000, 1500, 0].map(formatDuration)).toEqual(["1 d", "7 d", "1 h", "90 s", "1 min", "1500 ms", "0 ms"]);
});
