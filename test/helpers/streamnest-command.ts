import { resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "../..");

/**
 * The argv prefix that runs StreamNest: the compiled binary when STREAMNEST_BIN is set
 * (CI tests what users download), else the source entry under this Bun.
 */
export function streamnestCommand(): string[] {
  const bin = process.env.STREAMNEST_BIN;
  if (bin) return [resolve(REPO_ROOT, bin)];
  return [process.execPath, resolve(REPO_ROOT, "src/main.ts")];
}
