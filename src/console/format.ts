/** Number, size, rate and time formatting for the views. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return n.toLocaleString("en-US");
}

export function formatRate(perSec: number | null | undefined): string {
  if (perSec === null || perSec === undefined) return "—";
  if (perSec === 0) return "0/s";
  return perSec < 10 ? `${perSec.toFixed(1)}/s` : `${Math.round(perSec).toLocaleString("en-US")}/s`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", " UTC");
}

/** Messages in a partition (end − start); null when the offsets are unknown. */
export function messageCount(start: number | undefined, end: number | undefined): number | null {
  return start === undefined || end === undefined ? null : end - start;
}

/** A retention or other duration in the largest whole unit: 86400000 → "1 d", 90000 → "90 s". */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [["d", 86_400_000], ["h", 3_600_000], ["min", 60_000], ["s", 1000]];
  for (const [name, size] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${name}`;
  return `${ms} ms`;
}
