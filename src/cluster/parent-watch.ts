/**
 * A broker spawned by the launcher must not outlive it, even when the launcher is
 * killed with SIGKILL and can run no cleanup. The launcher sets STREAMNEST_SUPERVISED=1
 * and hands the broker a stdin pipe; the kernel closes that pipe when the launcher dies
 * in any way, so end-of-input on stdin means "parent gone". A parent-pid check backs it
 * up for platforms where the pipe could be inherited elsewhere.
 */
export const SUPERVISED_ENV = "STREAMNEST_SUPERVISED";

export function watchParent(onGone: () => void): void {
  if (process.env[SUPERVISED_ENV] !== "1") return;
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    onGone();
  };
  void (async () => {
    try {
      for await (const chunk of Bun.stdin.stream()) void chunk;
    } catch {
      // a read error means the pipe is gone just the same
    }
    fire();
  })();
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) fire();
  }, 500);
  timer.unref();
}
