import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuProfilerRunning, missingRuntimeEnv, sameCommandArgv } from "../../src/commands/runtime-env.ts";
import { BROKER_RUNTIME_ENV, NO_RUNTIME_REEXEC_ENV } from "../../src/config/runtime-env.ts";
import { type BrokerProcess, startBroker } from "../helpers/broker-harness.ts";

const NAMES = Object.keys(BROKER_RUNTIME_ENV);

describe("missingRuntimeEnv", () => {
  test("names every variable absent, with its value; one the operator set is kept", () => {
    expect(missingRuntimeEnv({})).toEqual({ BUN_CONFIG_MAX_HTTP_REQUESTS: "65535", MIMALLOC_PURGE_DELAY: "-1" });
    expect(missingRuntimeEnv({ MIMALLOC_PURGE_DELAY: "10", PATH: "/bin" })).toEqual({ BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" });
    // Set to the empty string is set: the operator's choice, not ours to replace.
    expect(missingRuntimeEnv({ MIMALLOC_PURGE_DELAY: "", BUN_CONFIG_MAX_HTTP_REQUESTS: "300" })).toEqual({});
  });

  test("Bun's CPU profiler is told by its flags, whatever their form", () => {
    expect(cpuProfilerRunning(["--cpu-prof-md"])).toBe(true);
    expect(cpuProfilerRunning(["--smol", "--cpu-prof", "--cpu-prof-dir=/tmp"])).toBe(true);
    expect(cpuProfilerRunning(["--smol", "--heap-prof"])).toBe(false);
    expect(cpuProfilerRunning([])).toBe(false);
  });

  test("the same command from source: Bun, its own flags, the entry and the arguments", () => {
    expect(sameCommandArgv()).toEqual([process.execPath, ...process.execArgv, ...process.argv.slice(1)]);
  });
});

/** The environment a process was started with (execve's), by name. */
function environOf(pid: number): Map<string, string> {
  const vars = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter((v) => v !== "");
  return new Map(vars.map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)]));
}

describe.skipIf(process.platform !== "linux")("a broker started without the variables it needs from its start", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  async function broker(env: Record<string, string>): Promise<BrokerProcess> {
    const started = await startBroker({ env, unsetEnv: [...NAMES, NO_RUNTIME_REEXEC_ENV].filter((n) => !(n in env)) });
    stop = started.stop;
    return started.broker;
  }

  test("runs itself again in place: the same PID, the same arguments, the variables added", async () => {
    const b = await broker({});
    const pid = b.proc!.pid;
    const env = environOf(pid);
    expect(NAMES.map((n) => [n, env.get(n)])).toEqual([
      ["BUN_CONFIG_MAX_HTTP_REQUESTS", "65535"],
      ["MIMALLOC_PURGE_DELAY", "-1"],
    ]);
    // Every argument made it through the second start, and the process is the one spawned.
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
    expect(argv.slice(-5)).toEqual(["broker", "--id=1", "--port=0", "--host=127.0.0.1", `--data-dir=${b.dataDir}`]);
    expect(((await (await b.fetch("/health")).json()) as { status: string; id: number })).toMatchObject({ status: "ok", id: 1 });
    // Other variables are passed on as they were.
    expect(env.get("STREAMNEST_CLUSTER_SECRET")).toBe("");
    expect(env.get("NO_COLOR")).toBe("1");
  });

  test("keeps a value the operator set, and adds only what is missing", async () => {
    const b = await broker({ MIMALLOC_PURGE_DELAY: "25" });
    const env = environOf(b.proc!.pid);
    expect([env.get("MIMALLOC_PURGE_DELAY"), env.get("BUN_CONFIG_MAX_HTTP_REQUESTS")]).toEqual(["25", "65535"]);
  });

  // The profiler's signal (SIGPWR), pending across execve, killed the second start at
  // once ("Power failure", exit 158): a broker run under the profiler is not started again.
  test("under Bun's CPU profiler (BUN_OPTIONS=--cpu-prof-md): runs as started, and its profile is written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "streamnest-cpu-prof-"));
    try {
      const b = await broker({ BUN_OPTIONS: `--cpu-prof-md --cpu-prof-dir=${dir}` });
      const pid = b.proc!.pid;
      expect(NAMES.map((n) => environOf(pid).has(n))).toEqual([false, false]);
      expect((await b.fetch("/health")).status).toBe(200);
      await stop?.();
      stop = undefined;
      expect(readdirSync(dir).filter((f) => f.endsWith(".md")).length).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${NO_RUNTIME_REEXEC_ENV}=1: runs as started, without them`, async () => {
    const b = await broker({ [NO_RUNTIME_REEXEC_ENV]: "1" });
    const env = environOf(b.proc!.pid);
    expect(NAMES.map((n) => env.has(n))).toEqual([false, false]);
    expect((await b.fetch("/health")).status).toBe(200);
  });
});
