import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { portProblem } from "../../src/cluster/port-check.ts";
import { selfCommand } from "../../src/cluster/self-command.ts";
import { BrokerSupervisor, type RestartPolicy } from "../../src/cluster/supervisor.ts";
import { processAlive, waitGone } from "../helpers/launcher-process.ts";
import { freePortRange } from "../helpers/port-range.ts";

/** The restart policy, on a real broker process that the test kills as it pleases. */

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const FAST: RestartPolicy = { quickFailureMs: 60_000, maxQuickFailures: 3, firstBackoffMs: 50, maxBackoffMs: 100, stopGraceMs: 10_000 };

function supervise(policy: RestartPolicy): { supervisor: BrokerSupervisor; lines: string[]; waitLine: (re: RegExp) => Promise<RegExpMatchArray> } {
  const port = freePortRange(1);
  const dir = mkdtempSync(join(tmpdir(), "streamnest-supervisor-"));
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const push = (line: string): void => {
    lines.push(line);
    for (const wake of [...waiters]) wake();
  };
  const supervisor = new BrokerSupervisor(
    {
      id: 1,
      port,
      bindHost: undefined,
      healthHost: "127.0.0.1",
      argv: [...selfCommand(), "broker", "--id=1", `--port=${port}`, "--host=127.0.0.1", `--data-dir=${dir}`],
      env: { ...process.env, NO_COLOR: "1" },
    },
    { relay: (line, stream) => push(`${stream}: ${line}`), notice: (line) => push(`notice: ${line}`), warn: (line) => push(`warn: ${line}`) },
    policy,
  );
  cleanups.push(async () => {
    supervisor.kill();
    await Bun.sleep(0);
    rmSync(dir, { recursive: true, force: true });
  });
  const waitLine = (re: RegExp): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      let seen = 0;
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`never saw ${re}; lines:\n${lines.join("\n")}`));
      }, 30_000);
      const check = (): void => {
        for (; seen < lines.length; seen++) {
          const match = lines[seen].match(re);
          if (match) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(match);
            return;
          }
        }
      };
      waiters.add(check);
      check();
    });
  return { supervisor, lines, waitLine };
}

describe("BrokerSupervisor", () => {
  test("relays the broker's lines, and a stop ends it with SIGTERM and frees its port", async () => {
    const { supervisor, lines } = supervise(FAST);
    supervisor.start();
    expect(await supervisor.whenFirstUp()).toBe(true);
    const pid = supervisor.pid ?? -1;
    expect(supervisor.status).toBe("up");
    expect(lines).toContain(`stdout: Broker 1 running on :${supervisor.spec.port}`);

    await supervisor.stop();

    expect(supervisor.status).toBe("stopped");
    expect(await waitGone([pid])).toEqual([]);
    expect(portProblem(supervisor.spec.port)).toBeUndefined();
    expect(lines.filter((l) => l.startsWith("warn:"))).toEqual([]);
  });

  test("gives up after repeated quick failures, with a clear message", async () => {
    const { supervisor, lines, waitLine } = supervise(FAST);
    supervisor.start();
    expect(await supervisor.whenFirstUp()).toBe(true);
    const killed: number[] = [];
    for (let round = 1; round <= 3; round++) {
      const pid = supervisor.pid ?? -1;
      killed.push(pid);
      process.kill(pid, "SIGKILL");
      if (round < 3) await waitLine(new RegExp(`^notice: Broker 1 is back up \\(pid (?!${pid}\\))\\d+\\)$`));
    }
    await supervisor.whenGivenUp();

    expect(supervisor.status).toBe("given-up");
    expect(lines.filter((l) => l.startsWith("warn:"))).toEqual([
      `warn: Broker 1 (pid ${killed[0]}) was killed by SIGKILL unexpectedly; restarting it in 0.1s`,
      `warn: Broker 1 (pid ${killed[1]}) was killed by SIGKILL unexpectedly; restarting it in 0.1s`,
      `warn: Broker 1 (pid ${killed[2]}) was killed by SIGKILL; it failed 3 times in a row within 60s of starting, ` +
        `so the launcher gives up on it (port ${supervisor.spec.port}). The other brokers keep running; see broker 1's output above.`,
    ]);
    expect(new Set(killed).size).toBe(3);
    expect(await waitGone(killed)).toEqual([]);
  });

  test("never takes back a port someone else grabbed while the broker was down", async () => {
    const { supervisor, waitLine } = supervise({ ...FAST, firstBackoffMs: 300, maxBackoffMs: 300 });
    supervisor.start();
    expect(await supervisor.whenFirstUp()).toBe(true);
    const port = supervisor.spec.port;
    process.kill(supervisor.pid ?? -1, "SIGKILL");
    await waitLine(/^warn: Broker 1 \(pid \d+\) was killed by SIGKILL unexpectedly; restarting it in 0\.3s$/);
    // the broker's socket is gone once its death is reported; take the port first
    const holder = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    cleanups.push(() => holder.stop(true));

    await waitLine(new RegExp(`^warn: Broker 1 cannot restart: port ${port} is now used by another process; restarting it in 0\\.3s$`));
    expect(holder.port).toBe(port);
    holder.stop(true);
    const [, pid] = await waitLine(/^notice: Broker 1 is back up \(pid (\d+)\)$/);
    expect(processAlive(Number(pid))).toBe(true);
  });
});
