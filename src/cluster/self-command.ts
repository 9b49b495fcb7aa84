import { resolve } from "node:path";

/**
 * The argv prefix that runs this same StreamNest again. A compiled binary is its own
 * entry point (process.execPath is the streamnest executable); from source, the running
 * Bun is given the source entry, resolved from this file so the working directory and
 * the way it was started (`bun src/main.ts`, `npm start`, a test) do not matter.
 */
export function selfCommand(): string[] {
  if (Bun.isStandaloneExecutable) return [process.execPath];
  return [process.execPath, resolve(import.meta.dir, "../main.ts")];
}
