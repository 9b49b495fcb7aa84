import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokersLeftOut, leftOutWarning } from "../../src/cluster/left-out-brokers.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDirWith(folders: Record<string, boolean>): string {
  const dir = mkdtempSync(join(tmpdir(), "left-out-"));
  dirs.push(dir);
  for (const [name, hasMeta] of Object.entries(folders)) mkdirSync(join(dir, name, ...(hasMeta ? ["meta"] : [])), { recursive: true });
  return dir;
}

test("the broker folders above --count that hold a broker's metadata, in order", () => {
  const dir = dataDirWith({ "broker-1": true, "broker-10": true, "broker-2": true, "broker-3": true, "broker-4": false, "broker-x": true, "broker-05": true, other: true });
  writeFileSync(join(dir, "broker-7"), "a file, not a broker");
  expect(brokersLeftOut(dir, 1)).toEqual([2, 3, 10]);
  expect(brokersLeftOut(dir, 3)).toEqual([10]);
  expect(brokersLeftOut(dir, 10)).toEqual([]);
});

test("a folder not there yet, or empty, leaves nobody out", () => {
  expect(brokersLeftOut(join(tmpdir(), "left-out-never-made"), 1)).toEqual([]);
  expect(brokersLeftOut(dataDirWith({}), 1)).toEqual([]);
});

test("the warning names the brokers, the folder and the --count that brings them back", () => {
  expect(leftOutWarning("/data", 1, [2, 3])).toBe(
    "Warning: /data also holds the data of brokers 2 and 3, which --count=1 does not start. The cluster still counts them as members that are down: " +
      "acks=all produces wait for their replicas until the ISR can shrink, and without a majority of the metadata quorum's voters up no leader is elected and nothing changes. " +
      "Start with --count=3 to bring them back, or use another --data-dir for a new cluster.",
  );
  expect(leftOutWarning("/data", 2, [3])).toBe(
    "Warning: /data also holds the data of broker 3, which --count=2 does not start. The cluster still counts it as a member that is down: " +
      "acks=all produces wait for its replicas until the ISR can shrink, and without a majority of the metadata quorum's voters up no leader is elected and nothing changes. " +
      "Start with --count=3 to bring it back, or use another --data-dir for a new cluster.",
  );
  expect(leftOutWarning("/data", 1, [2, 4, 5])).toContain("brokers 2, 4 and 5, which --count=1 does not start");
});
