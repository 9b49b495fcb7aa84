/**
 * Waiting in tests for something a broker does on its own (a rebalance, a timer, a
 * gauge settling, a broker answering /health): poll until it holds, never sleep a guessed
 * time. The deadline only turns a hang into a failure that says what never happened and
 * what was seen last.
 */

export interface UntilOptions {
  timeoutMs?: number;
  /** Checked before each probe: a reason to stop waiting now (the process died), or undefined. */
  hopeless?: () => string | undefined;
  /** More to say when it never happened (a broker's output). */
  context?: () => string;
}

/** Polls `probe` until `check` holds of its value, and returns that value. */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutOrOptions: number | UntilOptions = {},
): Promise<T> {
  const options = typeof timeoutOrOptions === "number" ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const context = () => (options.context ? `\n${options.context()}` : "");
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    const hopeless = options.hopeless?.();
    if (hopeless !== undefined) throw new Error(`${what} never happened: ${hopeless}${context()}`);
    try {
      last = await probe();
      if (check(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} never happened; last seen: ${JSON.stringify(last)} ${lastError ? String(lastError) : ""}${context()}`);
    await Bun.sleep(50);
  }
}

/** Polls `condition` until it is true. */
export async function untilTrue(what: string, condition: () => Promise<boolean>, timeoutOrOptions: number | UntilOptions = {}): Promise<void> {
  await until(what, condition, (holds) => holds, timeoutOrOptions);
}

/** Polls GET <url>/health until it answers 200. */
export async function untilHealthy(what: string, url: string, options: UntilOptions = {}): Promise<void> {
  await until(
    `${what} answering ${url}/health`,
    async () => (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).status,
    (status) => status === 200,
    { timeoutMs: 20_000, ...options },
  );
}
