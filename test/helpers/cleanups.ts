import { afterEach } from "bun:test";

export type Cleanup = () => Promise<unknown> | unknown;

/**
 * A list of cleanups run after each test of the file, last pushed first. Every one runs
 * even if one fails (a tmpfs left mounted or a broker left running would outlive the
 * test run); the first failure is then reported.
 */
export function cleanupsAfterEach(): Cleanup[] {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    let failure: unknown;
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  });
  return cleanups;
}
