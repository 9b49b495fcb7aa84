/**
 * Builds the single `streamnest` executable with `bun build --compile`.
 *   bun scripts/build.ts            the host's binary: dist/streamnest
 */
import { $ } from "bun";
import { mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const dist = resolve(root, "dist");
mkdirSync(dist, { recursive: true });

async function gitCommit(): Promise<string> {
  const result = await $`git rev-parse --short HEAD`.cwd(root).quiet().nothrow();
  const text = result.stdout.toString().trim();
  return result.exitCode === 0 && text ? text : "unknown";
}

const commit = await gitCommit();
const outfile = resolve(dist, "streamnest");
await $`${process.execPath} build ${resolve(root, "src/main.ts")} --compile --minify --sourcemap=none --define STREAMNEST_COMMIT=${JSON.stringify(commit)} --outfile ${outfile}`.cwd(root);
console.log(`built ${outfile} (${(statSync(outfile).size / 1024 / 1024).toFixed(1)} MiB, commit ${commit})`);
