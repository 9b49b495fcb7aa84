import { dlopen, FFIType, ptr } from "bun:ffi";
import { BROKER_RUNTIME_ENV, NO_RUNTIME_REEXEC_ENV } from "../config/runtime-env.ts";

/**
 * A broker needs some environment variables from its very start (config/runtime-env.ts:
 * mimalloc and Bun read them once, as the process begins). A broker started without
 * them replaces itself by the same command with them added, with execve(2): the same
 * process, PID and open standard streams, so a supervisor, a container runtime (as PID 1)
 * or a test that kills the broker by its PID still holds the broker itself.
 */

/** The variables of BROKER_RUNTIME_ENV that `env` lacks; one the operator set is kept as set. */
export function missingRuntimeEnv(env: Record<string, string | undefined>): Record<string, string> {
  const missing: Record<string, string> = {};
  for (const [name, value] of Object.entries(BROKER_RUNTIME_ENV)) if (env[name] === undefined) missing[name] = value;
  return missing;
}

/** The argv that runs this same command again: the binary's own, or Bun's with its flags and the source entry. */
export function sameCommandArgv(): string[] {
  if (Bun.isStandaloneExecutable) return [process.execPath, ...process.argv.slice(2)];
  return [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
}

/**
 * Whether Bun's CPU profiler runs in this process (`--cpu-prof…`, on the command line or
 * in BUN_OPTIONS). It samples the main thread by suspending it with a signal (SIGPWR);
 * one sent just before execve stays pending into the new image, whose default action
 * for it is to terminate: the broker died at once, printing only "Power failure".
 */
export function cpuProfilerRunning(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((arg) => arg.startsWith("--cpu-prof"));
}

/**
 * Runs this broker again with the missing variables, in place (execve), and so never
 * returns when it can. Synchronous: the modules imported after the caller have not run
 * yet (an await here would let them run first, as a module's top-level await does).
 * It returns when nothing is missing, when the operator asked for no second start
 * (STREAMNEST_NO_REEXEC=1), under Bun's CPU profiler (see cpuProfilerRunning), and where
 * execve cannot be called (not Linux, or it failed): the broker then runs as it is, only
 * slower (config/runtime-env.ts says why).
 */
export function ensureBrokerRuntimeEnv(env: Record<string, string | undefined> = process.env): void {
  if (env[NO_RUNTIME_REEXEC_ENV] === "1" || process.platform !== "linux" || cpuProfilerRunning()) return;
  const missing = missingRuntimeEnv(env);
  if (Object.keys(missing).length === 0) return;
  const entries = { ...env, ...missing };
  const environment = Object.entries(entries).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  try {
    const libc = dlopen("libc.so.6", { execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } });
    const argv = sameCommandArgv();
    // NUL-terminated strings and NULL-terminated arrays of pointers to them, kept
    // referenced here until the call: execve copies them into the new image.
    const strings = [...argv, ...environment].map((s) => Buffer.from(`${s}\0`, "utf8"));
    const table = (from: number, to: number): BigUint64Array => {
      const t = new BigUint64Array(to - from + 1);
      for (let i = from; i < to; i++) t[i - from] = BigInt(ptr(strings[i]));
      return t;
    };
    const argvTable = table(0, argv.length);
    const envTable = table(argv.length, strings.length);
    // Returns only on failure (the file gone, no memory): the broker runs on as it is.
    libc.symbols.execve(ptr(strings[0]), ptr(argvTable), ptr(envTable));
    libc.close();
  } catch {
    // No libc.so.6 (a musl system) or no bun:ffi: run on as it is.
  }
}
