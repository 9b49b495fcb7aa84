import type { Subprocess } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { portProblem } from "../../src/cluster/port-check.ts";
import { streamnestCommand } from "./streamnest-command.ts";
import { until, untilHealthy } from "./until.ts";

/**
 * Starts real broker processes with temporary data dirs, bound to 127.0.0.1, waits until
 * they answer /health, and stops them after. A lone broker takes a port it picks itself
 * (`--port=0`) and names on its first line; a cluster's brokers get ports picked just
 * before (see startCluster), as they must name each other as --peers from the start.
 * Every process started here is also killed when the test process exits, so a failing
 * test never leaves a broker behind.
 */

export interface BrokerOptions {
  /** Extra command-line flags for every broker. */
  args?: string[];
  env?: Record<string, string>;
  /** Variables of the test's own environment the brokers must not get. */
  unsetEnv?: string[];
  secret?: string;
  /** API token the harness itself sends (brokers run with --auth=token). */
  token?: string;
  /** Runs the broker through this command (e.g. a shell that lowers `ulimit -n`, then `exec "$@"`). */
  wrap?: string[];
  /**
   * The one address brokers listen on (default 127.0.0.1; never a wildcard): another
   * address of this machine when a test must reach a broker by a non-loopback name.
   */
  host?: string;
  /** HTTPS brokers (--tls-cert, --tls-key; --tls-ca too with requireClientCerts); the harness trusts `ca`. */
  tls?: HarnessTls;
}

export interface HarnessTls {
  cert: string;
  key: string;
  /** The CA the harness's own requests trust. */
  ca: string;
  /** Pass --tls-ca=ca to the brokers: they then require client certificates (the harness uses `client`). */
  requireClientCerts?: boolean;
  client?: { cert: string; key: string };
}

function withoutNames(env: Record<string, string | undefined>, names: string[] | undefined): Record<string, string | undefined> {
  for (const name of names ?? []) delete env[name];
  return env;
}

/** A broker's first line, naming the port it listens on. */
const RUNNING = /^Broker \d+ running on :(\d+)$/m;

const live = new Set<Subprocess>();
process.on("exit", () => {
  for (const proc of live) proc.kill("SIGKILL");
});

export class BrokerProcess {
  proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;
  output = "";
  private readonly waiters: Array<{ text: string; resolve: () => void }> = [];
  private knownPort: number | undefined;

  /**
   * `port` 0: the broker picks one at its first start (`--port=0`) and keeps it on
   * restarts, so that what it advertised stays true.
   */
  constructor(
    readonly id: number,
    port: number,
    readonly dataDir: string,
    public peers: string[],
    readonly options: BrokerOptions,
  ) {
    this.knownPort = port === 0 ? undefined : port;
  }

  /** The port it listens on (known once it has started). */
  get port(): number {
    if (this.knownPort === undefined) throw new Error(`broker ${this.id} has not reported its port yet`);
    return this.knownPort;
  }

  get url(): string {
    return `${this.options.tls !== undefined ? "https" : "http"}://${this.options.host ?? "127.0.0.1"}:${this.port}`;
  }

  /** fetch() of one of its routes, trusting the harness's CA (and with its client certificate) for an HTTPS broker. */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, { ...init, ...harnessFetchTls(this.options.tls) });
  }

  /** The address it advertises (the default, localhost:<port>). */
  get address(): string {
    return `localhost:${this.port}`;
  }

  /** The address other brokers reach it at: localhost, or the one address it listens on. */
  get dialAddress(): string {
    return `${this.options.host ?? "localhost"}:${this.port}`;
  }

  get args(): string[] {
    const args = [
      "broker",
      `--id=${this.id}`,
      `--port=${this.knownPort ?? 0}`,
      `--host=${this.options.host ?? "127.0.0.1"}`,
      `--data-dir=${this.dataDir}`,
    ];
    if (this.peers.length > 0) args.push(`--peers=${this.peers.join(",")}`);
    const tls = this.options.tls;
    if (tls !== undefined) {
      args.push(`--tls-cert=${tls.cert}`, `--tls-key=${tls.key}`);
      if (tls.requireClientCerts) args.push(`--tls-ca=${tls.ca}`);
    }
    return [...args, ...(this.options.args ?? [])];
  }

  /** Starts the process and resolves once it answers GET /health. */
  async start(timeoutMs = 20_000): Promise<void> {
    const proc = Bun.spawn([...(this.options.wrap ?? []), ...streamnestCommand(), ...this.args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      // The secret by environment, as the launcher hands it over: argv is public (ps).
      env: withoutNames({ ...process.env, NO_COLOR: "1", STREAMNEST_CLUSTER_SECRET: this.options.secret ?? "", ...this.options.env }, this.options.unsetEnv),
    });
    this.proc = proc;
    live.add(proc);
    void this.collect(proc.stdout);
    void this.collect(proc.stderr);
    void proc.exited.then(() => live.delete(proc));
    await this.waitHealthy(timeoutMs);
  }

  private async collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.output += decoder.decode(chunk, { stream: true });
      for (const w of [...this.waiters]) {
        if (this.output.includes(w.text)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  }

  /** Resolves when the broker's output contains `text`. */
  waitForOutput(text: string, timeoutMs = 20_000): Promise<void> {
    if (this.output.includes(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`broker ${this.id} never printed ${JSON.stringify(text)}; output:\n${this.output}`)),
        timeoutMs,
      );
      this.waiters.push({
        text,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const exited = () => {
      const code = this.proc?.exitCode;
      return code === null || code === undefined ? undefined : `it exited with ${code}`;
    };
    const options = { timeoutMs, hopeless: exited, context: () => `output:\n${this.output}` };
    if (this.knownPort === undefined) {
      // The first line names the port; nothing listens there before it is printed.
      const { port } = await this.reportedPort(options);
      this.knownPort = port;
    }
    if (this.options.tls === undefined) await untilHealthy(`broker ${this.id}`, this.url, options);
    else
      await until(`broker ${this.id} answering ${this.url}/health`, async () => (await this.fetch("/health", { signal: AbortSignal.timeout(1000) })).status, (s) => s === 200, options);
  }

  private async reportedPort(options: { timeoutMs: number; hopeless: () => string | undefined; context: () => string }) {
    const line = await until(`broker ${this.id} reporting its port`, async () => RUNNING.exec(this.output), (m) => m !== null, options);
    return { port: Number(line?.[1]) };
  }

  /** Clean stop (SIGTERM), waiting for the process to exit. */
  async stop(): Promise<number | null> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return proc?.exitCode ?? null;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    const code = await proc.exited;
    clearTimeout(timer);
    return code;
  }

  /** `kill -9`: no chance to flush or close anything. */
  async kill9(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    proc.kill("SIGKILL");
    await proc.exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

export class TestCluster {
  constructor(
    readonly brokers: BrokerProcess[],
    private readonly root: string,
  ) {}

  broker(id: number): BrokerProcess {
    const broker = this.brokers.find((b) => b.id === id);
    if (!broker) throw new Error(`no broker ${id}`);
    return broker;
  }

  get urls(): string[] {
    return this.brokers.map((b) => b.url);
  }

  /** Stops every broker and removes the data directories. */
  async stop(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.stop().catch(() => b.kill9())));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Starts `count` brokers (ids 1..count) that know each other, as the launcher starts
 * them: all at once, each with every other as --peers, so that they form one metadata
 * quorum (formation needs every configured peer's id, see quorum-voters.ts). Peers
 * must be named before the brokers run, so a cluster's ports are picked first, free and
 * below the range the system hands out for outgoing connections (where no connection's
 * own end can take them meanwhile); should another process still take one before its
 * broker binds it, that broker says so and exits, and the whole cluster starts again on
 * other ports. This returns once every broker counts every other alive and all name
 * the same quorum leader. A lone broker takes a port it picks itself (`--port=0`).
 */
export async function startCluster(count: number, options: BrokerOptions = {}): Promise<TestCluster> {
  const secret = options.secret ?? (count > 1 ? `test-secret-${crypto.randomUUID()}` : undefined);
  for (let attempt = 1; ; attempt++) {
    const root = mkdtempSync(join(tmpdir(), "streamnest-test-"));
    const ports = count > 1 ? unusedPorts(count, options.host) : [0];
    const host = options.host ?? "localhost";
    const brokers = ports.map(
      (port, i) =>
        new BrokerProcess(i + 1, port, join(root, `broker-${i + 1}`), ports.filter((p) => p !== port).map((p) => `${host}:${p}`), { ...options, secret }),
    );
    const cluster = new TestCluster(brokers, root);
    try {
      // Generous: brokers starting together on a machine shared with other test runs can be slow.
      await Promise.all(brokers.map((b) => b.start(count > 1 ? 60_000 : undefined)));
      if (count > 1) {
        await everyBrokerSeesAll(brokers);
        await oneQuorumLeader(brokers);
      }
      return cluster;
    } catch (error) {
      await cluster.stop();
      const taken = brokers.some((b) => /port \d+ is already in use/.test(b.output));
      if (!taken || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/** Tries of startCluster when another process took one of the ports it picked. */
const PORT_ATTEMPTS = 5;
/** Linux's default ephemeral range starts at 32768; ports below are only ever bound on purpose. */
const PORTS_FROM = 20_000;
const PORTS_BELOW = 32_768;

/** `n` distinct ports that nothing holds now on the addresses a broker on `host` needs. */
function unusedPorts(n: number, host: string | undefined): number[] {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < n; tries++) {
    if (tries > 1000) throw new Error(`no ${n} free ports found between ${PORTS_FROM} and ${PORTS_BELOW}`);
    const port = PORTS_FROM + Math.floor(Math.random() * (PORTS_BELOW - PORTS_FROM));
    if (!ports.has(port) && portProblem(port, host) === undefined) ports.add(port);
  }
  return [...ports];
}

interface QuorumView {
  metadata_version: number;
  brokers: Array<{ id: number | null; fenced?: boolean | null }>;
  quorum?: { leader: number | null };
}

/**
 * Waits until the cluster is settled: every broker names the same metadata quorum
 * leader, has applied the same metadata version, and sees every broker registered
 * (brokers register with the leader once they know it; each registration is a metadata
 * change, so a test that compares metadata before and after starts from a still one).
 */
async function oneQuorumLeader(brokers: BrokerProcess[]): Promise<void> {
  await until(
    "every broker naming one metadata quorum leader, with every broker registered",
    async () => {
      const views = await Promise.all(
        brokers.map(async (b) => (await (await b.fetch("/cluster", { headers: tokenHeaders(b), signal: AbortSignal.timeout(1000) })).json()) as QuorumView),
      );
      const [first] = views;
      return views.every(
        (v) =>
          v.quorum?.leader !== null &&
          v.quorum?.leader === first.quorum?.leader &&
          v.metadata_version === first.metadata_version &&
          v.brokers.length === brokers.length &&
          v.brokers.every((b) => b.fenced === false),
      );
    },
    (agreed) => agreed,
    { timeoutMs: 20_000, context: () => brokers.map((b) => `broker ${b.id} output:\n${b.output}`).join("\n") },
  );
}

/** The harness's own credentials for a broker run with --auth=token (none otherwise). */
function tokenHeaders(b: BrokerProcess): Record<string, string> {
  return b.options.token === undefined ? {} : { authorization: `Bearer ${b.options.token}` };
}

async function everyBrokerSeesAll(brokers: BrokerProcess[]): Promise<void> {
  for (const b of brokers)
    await until(
      `broker ${b.id} counting all ${brokers.length} brokers alive`,
      async () => {
        const res = await b.fetch("/cluster", { headers: tokenHeaders(b), signal: AbortSignal.timeout(1000) });
        const body = (await res.json()) as { brokers: Array<{ alive: boolean }> };
        return body.brokers.filter((x) => x.alive).length;
      },
      (alive) => alive === brokers.length,
      { timeoutMs: 20_000, context: () => `output:\n${b.output}` },
    );
}

/** Bun's fetch options for an HTTPS broker of the harness: trust its CA, present the client certificate. */
export function harnessFetchTls(tls: HarnessTls | undefined): { tls?: { ca: string; cert?: string; key?: string } } {
  if (tls === undefined) return {};
  const client = tls.client === undefined ? {} : { cert: readFileSync(tls.client.cert, "utf8"), key: readFileSync(tls.client.key, "utf8") };
  return { tls: { ca: readFileSync(tls.ca, "utf8"), ...client } };
}

/** One broker on a free port with its own temporary data dir. */
export async function startBroker(options: BrokerOptions = {}): Promise<{ broker: BrokerProcess; stop: () => Promise<void> }> {
  const cluster = await startCluster(1, options);
  return { broker: cluster.brokers[0], stop: () => cluster.stop() };
}

/** Runs the StreamNest CLI to completion with the given stdin and returns its output. */
export async function runCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([...streamnestCommand(), ...args], {
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
  });
  live.add(proc);
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  live.delete(proc);
  return { exitCode, stdout, stderr };
}
