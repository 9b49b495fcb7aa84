import { afterEach, expect, test } from "bun:test";
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { portProblem } from "../../src/cluster/port-check.ts";
import { eventually } from "../helpers/cluster-http.ts";
import { freePortRange } from "../helpers/port-range.ts";
import { streamnestCommand } from "../helpers/streamnest-command.ts";

/**
 * The launcher whose output has nowhere to go (`streamnest broker --count=2 | head`, a
 * closed terminal) ends without a crash and takes every broker with it.
 */

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test("a launcher whose standard output was closed neither crashes nor leaves a broker behind", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "streamnest-launcher-out-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = freePortRange(2);
  // A named pipe stands in for `| head`: this test reads it, then closes its end.
  const fifo = join(dataDir, "out.fifo");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(fifo, constants.O_WRONLY);
  const proc = Bun.spawn([...streamnestCommand(), "broker", "--count=2", `--base-port=${base}`, "--host=127.0.0.1", `--data-dir=${join(dataDir, "data")}`], {
    stdin: "ignore",
    stdout: writeEnd,
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  closeSync(writeEnd);
  cleanups.push(() => {
    if (proc.exitCode === null) proc.kill("SIGKILL");
  });
  const stderr = new Response(proc.stderr).text();

  let output = "";
  const buffer = Buffer.alloc(65536);
  while (!output.includes(`Starting broker 2 on port ${base + 1}`)) {
    let n = 0;
    try {
      n = readSync(readEnd, buffer);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
    }
    if (n > 0) output += buffer.toString("utf8", 0, n);
    else if (proc.exitCode !== null) throw new Error(`launcher exited early:\n${output}${await stderr}`);
    else await Bun.sleep(20);
  }
  closeSync(readEnd);
  // The brokers' lines and the launcher's notices now go nowhere. The launcher may stop
  // as on SIGPIPE or keep supervising, but never crashes, and no broker outlives it.
  await Promise.race([proc.exited, Bun.sleep(3000)]);
  if (proc.exitCode === null) proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
  expect(await stderr).toBe("");
  await eventually(() => portProblem(base) === undefined && portProblem(base + 1) === undefined, "both brokers' ports are free");
  expect(portProblem(base)).toBeUndefined();
  expect(portProblem(base + 1)).toBeUndefined();
});
