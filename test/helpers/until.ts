/**
 * Waiting in tests for something a broker does on its own (a rebalance, a timer, a
 * gauge settling): poll until it holds, never sleep a guessed time. The deadline only
 * turns a hang into a failure that says what never happened and what was seen last.
 */

/** Polls `probe` until `check` holds of its value, and returns that value. */
export async function until<T>(what: string, probe: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (check(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} never happened; last seen: ${JSON.stringify(last)} ${lastError ? String(lastError) : ""}`);
    await Bun.sleep(50);
  }
}

/** Polls `condition` until it is true. */
export async function untilTrue(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  await until(what, condition, (holds) => holds, timeoutMs);
}
