import { resolve } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import type { ConsoleAssets } from "./bundle.ts";

/**
 * A Bun macro (imported `with { type: "macro" }`): runs when the importing file is
 * bundled — by `bun build --compile`, which so embeds the console in the executable, or
 * by Bun when running from source, on first use — and its answer is inlined as a
 * literal. Bun.build cannot run inside a macro, so the bundle is made by a child Bun.
 */
export function buildConsoleAssets(): ConsoleAssets {
  const result = Bun.spawnSync([process.execPath, resolve(import.meta.dir, "bundle.ts")], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new StreamNestError("INTERNAL_ERROR", `the console did not build:\n${result.stderr.toString()}`);
  return JSON.parse(result.stdout.toString()) as ConsoleAssets;
}
