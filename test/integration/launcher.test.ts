import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerCallAuth } from "../../src/auth/broker-call-auth.ts";
import { BROKER_AUTH_HEADER, BROKER_SIGNATURE_HEADER, INTERNAL_ROUTES } from "../../src/lib/internal-routes.ts";
import { portProblem } from "../../src/cluster/port-check.ts";
import { runCli } from "../helpers/broker-harness.ts";
import { healthStatus, LauncherProcess, processAlive, waitGone } from "../helpers/launcher-process.ts";
import { freePortRange } from "../helpers/port-range.ts";

/** `streamnest broker --count=N`, run as users run it, with real broker processes. */

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-launcher-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function launch(count: number, base: number, dataDir: string, env: Record<string, string> = {}, flags = ["--host=127.0.0.1"]): LauncherProcess {
  const launcher = LauncherProcess.start([`--count=${count}`, `--base-port=${base}`, ...flags, `--data-dir=${dataDir}`], env);
  cleanups.push(async () => {
    if (launcher.proc.exitCode === null) {
      launcher.kill("SIGKILL");
      await launcher.exited;
    }
  });
  return launcher;
}

/**
 * GET of an internal route signed as broker 99 of the default cluster id with a key from
 * `secret`, for broker `receiver`: status and error message; a 200 must be signed back.
 */
async function internalCall(port: number, receiver: number, secret: string): Promise<{ status: number; message: string }> {
  const auth = new BrokerCallAuth({ secret, clusterId: "streamnest", selfId: 99 });
  const signed = auth.signCall(receiver, "GET", INTERNAL_ROUTES.quorumVoters, "");
  const res = await fetch(`http://127.0.0.1:${port}${INTERNAL_ROUTES.quorumVoters}`, { headers: { [BROKER_AUTH_HEADER]: signed.authorization } });
  const text = await res.text();
  if (res.status === 200) auth.verifyAnswer(receiver, signed.nonce, 200, text, res.headers.get(BROKER_SIGNATURE_HEADER));
  const body = JSON.parse(text) as { message?: string };
  return { status: res.status, message: body.message ?? "" };
}

/** The command line of a running process, as every user of the machine can read it. */
function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
}

/** A TCP server that answers "ping" with "pong", standing in for someone else's service. */
function holdPort(port: number): { ping: () => Promise<string>; stop: () => void } {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(socket, data) {
        if (data.toString() === "ping") socket.write("pong");
      },
    },
  });
  return {
    stop: () => server.stop(true),
    ping: () =>
      new Promise((resolve, reject) => {
        let answer = "";
        void Bun.connect({
          hostname: "127.0.0.1",
          port,
          socket: {
            open(socket) {
              socket.write("ping");
            },
            data(socket, data) {
              answer += data.toString();
              if (answer === "pong") {
                socket.end();
                resolve(answer);
              }
            },
            error(_socket, error) {
              reject(error);
            },
            connectError(_socket, error) {
              reject(error);
            },
          },
        });
      }),
  };
}

describe("broker --count=N (the local cluster launcher)", () => {
  test("refuses a port in use, names it, starts nothing and leaves the holder alone", async () => {
    const base = freePortRange(3);
    const holder = holdPort(base + 1);
    cleanups.push(holder.stop);
    const dataDir = join(tempDir(), "data");

    const { exitCode, stdout, stderr } = await runCli(["broker", "--count=3", `--base-port=${base}`, "--host=127.0.0.1", `--data-dir=${dataDir}`]);

    expect(exitCode).toBe(1);
    expect(stderr).toContain(`port ${base + 1} is already in use`);
    expect(stderr).not.toContain(`port ${base} `);
    expect(stderr).not.toContain(`port ${base + 2} `);
    expect(stdout).not.toContain("Starting broker");
    expect(existsSync(dataDir)).toBe(false);
    expect(portProblem(base)).toBeUndefined();
    expect(portProblem(base + 2)).toBeUndefined();
    expect(await holder.ping()).toBe("pong");
  });

  test("starts N brokers that all answer, prints the seed's lines, and stops them all on Ctrl-C", async () => {
    const base = freePortRange(3);
    const dataDir = tempDir();
    const launcher = launch(3, base, dataDir);

    const pids = await launcher.waitUp(3);

    const ports = [base, base + 1, base + 2];
    for (const [i, port] of ports.entries()) {
      const id = i + 1;
      const peers = ports.filter((p) => p !== port).map((p) => `localhost:${p}`).join(",");
      expect(launcher.output).toContain(`Starting broker ${id} on port ${port} with peers: ${peers}\n`);
      expect(launcher.output).toContain(`[broker ${id}] Broker ${id} running on :${port}`);
      expect(await healthStatus(port)).toBe(200);
      expect(existsSync(join(dataDir, `broker-${id}`))).toBe(true);
    }
    expect([...pids.keys()].sort()).toEqual([1, 2, 3]);
    for (const pid of pids.values()) expect(processAlive(pid)).toBe(true);

    launcher.kill("SIGINT");
    expect(await launcher.exited).toBe(0);
    expect(launcher.output).toContain("All brokers stopped.");
    expect(await waitGone([...pids.values()])).toEqual([]);
    for (const port of ports) expect(portProblem(port)).toBeUndefined();
  });

  test("restarts a broker that was killed, on the same port", async () => {
    const base = freePortRange(2);
    const launcher = launch(2, base, tempDir());
    const pids = await launcher.waitUp(2);
    const victim = pids.get(2);
    if (victim === undefined) throw new Error(`no pid for broker 2 in:\n${launcher.output}`);

    const mark = launcher.output.length;
    process.kill(victim, "SIGKILL");

    await launcher.waitFor(`Broker 2 (pid ${victim}) was killed by SIGKILL unexpectedly; restarting it in`, 30_000, mark);
    const [, newPid] = await launcher.waitFor(/Broker 2 is back up \(pid (\d+)\)/, 60_000, mark);
    expect(Number(newPid)).not.toBe(victim);
    expect(processAlive(Number(newPid))).toBe(true);
    expect(await healthStatus(base + 1)).toBe(200);
    expect(await healthStatus(base)).toBe(200);
    expect(processAlive(pids.get(1) ?? -1)).toBe(true);

    launcher.kill("SIGTERM");
    expect(await launcher.exited).toBe(0);
    expect(await waitGone([Number(newPid), pids.get(1) ?? -1])).toEqual([]);
  });

  test("hands every broker the cluster secret: the operator's STREAMNEST_CLUSTER_SECRET, else a generated one", async () => {
    const secret = `secret-${crypto.randomUUID()}`;
    const given = freePortRange(2);
    const withSecret = launch(2, given, tempDir(), { STREAMNEST_CLUSTER_SECRET: secret });
    const pids = await withSecret.waitUp(2);
    for (const [i, port] of [given, given + 1].entries()) expect((await internalCall(port, i + 1, secret)).status).toBe(200);
    // By environment only: no broker's command line (what `ps` shows) holds it.
    expect(pids.size).toBe(2);
    for (const pid of pids.values()) {
      const argv = commandLine(pid);
      expect(argv).toContain("broker --id=");
      expect(argv).not.toContain(secret);
      expect(argv).not.toContain("cluster-secret");
    }

    const generated = freePortRange(2);
    const withoutSecret = launch(2, generated, tempDir(), { STREAMNEST_CLUSTER_SECRET: "" });
    await withoutSecret.waitUp(2);
    // a broker that has a secret calls a wrong one wrong (one without any refuses differently)
    for (const [i, port] of [generated, generated + 1].entries())
      expect(await internalCall(port, i + 1, secret)).toEqual({ status: 401, message: "broker request signature does not verify" });
  });

  test("without --host the brokers bind 127.0.0.1 only (secure by default), and warn of nothing", async () => {
    const base = freePortRange(2);
    const secretFile = join(tempDir(), "secret");
    const secret = `file-secret-${crypto.randomUUID()}`;
    writeFileSync(secretFile, `${secret}\n`);
    const launcher = launch(2, base, tempDir(), { STREAMNEST_CLUSTER_SECRET: "" }, [`--cluster-secret-file=${secretFile}`]);
    const pids = await launcher.waitUp(2);
    for (const pid of pids.values()) {
      const argv = commandLine(pid);
      expect(argv).toContain("--host=127.0.0.1");
      expect(argv).not.toContain(secret);
    }
    // The secret from the file reached every broker (by environment).
    for (const [i, port] of [base, base + 1].entries()) expect((await internalCall(port, i + 1, secret)).status).toBe(200);
    expect(launcher.output).not.toContain("warning:");
  });

  test("--cluster-secret on the command line still works, with a warning saying why not to", async () => {
    const base = freePortRange(2);
    const secret = `argv-secret-${crypto.randomUUID()}`;
    const launcher = launch(2, base, tempDir(), { STREAMNEST_CLUSTER_SECRET: "" }, ["--host=127.0.0.1", `--cluster-secret=${secret}`]);
    const pids = await launcher.waitUp(2);
    for (const pid of pids.values()) expect(commandLine(pid)).not.toContain(secret);
    for (const [i, port] of [base, base + 1].entries()) expect((await internalCall(port, i + 1, secret)).status).toBe(200);
    expect(launcher.output).toContain(
      "warning: --cluster-secret on the command line is visible to every user of this machine (ps, /proc/<pid>/cmdline); use STREAMNEST_CLUSTER_SECRET or --cluster-secret-file",
    );
  });

  test("no broker outlives a launcher killed with SIGKILL", async () => {
    const base = freePortRange(2);
    const launcher = launch(2, base, tempDir());
    const pids = [...(await launcher.waitUp(2)).values()];
    expect(pids.length).toBe(2);

    launcher.kill("SIGKILL");
    await launcher.exited;

    expect(await waitGone(pids)).toEqual([]);
    expect(portProblem(base)).toBeUndefined();
    expect(portProblem(base + 1)).toBeUndefined();
  });

  test("a broker that cannot start stops the launch with an error", async () => {
    const base = freePortRange(2);
    const dir = tempDir();
    // Broker 2's own folder is a file, so broker 2 alone cannot start.
    await Bun.write(join(dir, "broker-2"), "x");
    const { exitCode, stderr } = await runCli(["broker", "--count=2", `--base-port=${base}`, "--host=127.0.0.1", `--data-dir=${dir}`]);
    expect(exitCode).toBe(1);
    expect(stderr).toContain(`[broker 2] Error: cannot use data dir ${join(dir, "broker-2")}: it is a file, not a folder`);
    expect(stderr).toMatch(/Broker 2 \(pid \d+\) exited with code 1 before it was up; see its output above/);
    expect(stderr).toContain("Stopping the cluster because broker 2 could not start.");
    expect(portProblem(base)).toBeUndefined();
    expect(portProblem(base + 1)).toBeUndefined();
  });
});
