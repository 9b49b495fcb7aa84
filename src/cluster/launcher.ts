import { resolve } from "node:path";
import { BROKER_RUNTIME_ENV } from "../config/runtime-env.ts";
import { clusterSecret, CLUSTER_SECRET_ENV } from "./cluster-secret.ts";
import { brokersLeftOut, leftOutWarning } from "./left-out-brokers.ts";
import { describePortProblem, portProblems } from "./port-check.ts";
import { selfCommand } from "./self-command.ts";
import { BrokerSupervisor, DEFAULT_RESTART_POLICY, type RestartPolicy, type SupervisorOutput } from "./supervisor.ts";

/**
 * `streamnest broker --count=N`: the local supervisor. It checks every port first, then
 * runs N brokers of this same executable as one cluster, keeps them running, and stops
 * them all on Ctrl-C or SIGTERM.
 */
export interface LocalClusterOptions {
  count: number;
  basePort: number;
  /** Parent folder; broker i keeps its data in <dataDir>/broker-<i>. */
  dataDir: string;
  host?: string;
  /** Flags passed through to every broker (e.g. --fsync=always). */
  brokerArgs: string[];
  /** The cluster secret; default STREAMNEST_CLUSTER_SECRET, else a fresh random one. */
  clusterSecret?: string;
  restartPolicy?: Partial<RestartPolicy>;
  /** Kafka port of broker 1 (the others follow it); undefined: no Kafka listeners. */
  kafkaBasePort?: number;
  /** The brokers' --tls-cert and --tls-key (passed on in brokerArgs): HTTPS addresses, health over HTTPS, SIGHUP passed on. */
  tls?: { cert: string; key: string };
  /** Makes the data folder ready once the ports are known free; returns why it cannot be, if so. */
  prepareDataDir?: (dir: string) => string | undefined;
}

const WILDCARD_HOSTS = new Set(["", "0.0.0.0", "::", "[::]"]);

/** ANSI colours for the `[broker N]` prefixes, so interleaved output stays readable. */
const PREFIX_COLOURS = [36, 35, 33, 32, 34, 91, 96, 95];

function useColour(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

function prefixFor(id: number, colour: boolean): string {
  const text = `[broker ${id}]`;
  if (!colour) return text;
  return `\x1b[${PREFIX_COLOURS[(id - 1) % PREFIX_COLOURS.length]}m${text}\x1b[0m`;
}

/**
 * Output with nowhere to go (piped into `head`, its terminal closed) must not crash the
 * launcher with an EPIPE or EIO stack trace: a write that fails at once is dropped, and
 * one that fails later ends in the process's own handler (the CLI's exits as on
 * SIGPIPE; the brokers then see their launcher gone and stop cleanly).
 */
function writeLine(stream: "stdout" | "stderr", line: string): void {
  const out = stream === "stdout" ? process.stdout : process.stderr;
  if (out.listenerCount("error") === 0) out.on("error", () => {});
  try {
    out.write(`${line}\n`);
  } catch {
    // the reader is gone; see above
  }
}

function outputFor(id: number, colour: boolean): SupervisorOutput {
  const prefix = prefixFor(id, colour);
  return {
    relay: (line, stream) => writeLine(stream, `${prefix} ${line}`),
    notice: (line) => writeLine("stdout", line),
    warn: (line) => writeLine("stderr", line),
  };
}

function validate(options: LocalClusterOptions): string | undefined {
  const { count, basePort } = options;
  if (!Number.isInteger(count) || count < 1) return `--count must be a whole number of at least 1 (got ${count})`;
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + count - 1 > 65535)
    return `--base-port must leave room for ${count} consecutive port${count === 1 ? "" : "s"} between 1 and 65535 (got ${basePort})`;
  const kafka = options.kafkaBasePort;
  if (kafka !== undefined) {
    if (!Number.isInteger(kafka) || kafka < 1 || kafka + count - 1 > 65535)
      return `the Kafka ports (--kafka-base-port) must leave room for ${count} consecutive port${count === 1 ? "" : "s"} between 1 and 65535 (got ${kafka})`;
    if (kafka < basePort + count && basePort < kafka + count)
      return `the Kafka ports ${kafka}..${kafka + count - 1} overlap the HTTP ports ${basePort}..${basePort + count - 1}; choose another --kafka-base-port`;
  }
  return undefined;
}

export async function runLocalCluster(options: LocalClusterOptions): Promise<number> {
  const invalid = validate(options);
  if (invalid) {
    writeLine("stderr", `Error: ${invalid}`);
    return 1;
  }
  const { count, basePort, host } = options;
  const ports = Array.from({ length: count }, (_, i) => basePort + i);
  const kafkaBase = options.kafkaBasePort;
  const kafkaPorts = kafkaBase === undefined ? [] : Array.from({ length: count }, (_, i) => kafkaBase + i);

  const problems = portProblems([...ports, ...kafkaPorts], host);
  if (problems.length > 0) {
    for (const problem of problems) writeLine("stderr", `Error: ${describePortProblem(problem)}`);
    writeLine(
      "stderr",
      `No broker was started. Free ${problems.length === 1 ? "that port" : "those ports"} or choose other ports with --base-port${kafkaPorts.length > 0 ? " (and --kafka-base-port)" : ""}.`,
    );
    return 1;
  }

  const dataDir = resolve(options.dataDir);
  const dataDirError = options.prepareDataDir?.(dataDir);
  if (dataDirError !== undefined) {
    writeLine("stderr", `Error: ${dataDirError}`);
    return 1;
  }
  const leftOut = brokersLeftOut(dataDir, count);
  if (leftOut.length > 0) writeLine("stderr", leftOutWarning(dataDir, count, leftOut));
  const secret = options.clusterSecret ?? clusterSecret();
  const policy: RestartPolicy = { ...DEFAULT_RESTART_POLICY, ...options.restartPolicy };
  const wildcard = host === undefined || WILDCARD_HOSTS.has(host);
  const healthHost = wildcard ? "127.0.0.1" : host.replace(/^\[(.*)\]$/, "$1");
  const urlHost = wildcard ? "localhost" : healthHost.includes(":") ? `[${healthHost}]` : healthHost;
  const colour = useColour();
  const scheme = options.tls !== undefined ? "https" : "http";
  // The secret goes by environment, not argv, so other users cannot read it from `ps`.
  const env: Record<string, string | undefined> = {
    // Read once at start (config/runtime-env.ts): given here, a broker need not run itself again.
    ...BROKER_RUNTIME_ENV,
    ...process.env,
    [CLUSTER_SECRET_ENV]: secret,
    ...(colour && !process.env.FORCE_COLOR ? { FORCE_COLOR: "1" } : {}),
  };

  const supervisors = ports.map((port, i) => {
    const id = i + 1;
    const peers = ports.filter((p) => p !== port).map((p) => `localhost:${p}`);
    const argv = [
      ...selfCommand(),
      "broker",
      `--id=${id}`,
      `--port=${port}`,
      `--data-dir=${resolve(dataDir, `broker-${id}`)}`,
      ...(peers.length > 0 ? [`--peers=${peers.join(",")}`] : []),
      ...(host !== undefined ? [`--host=${host}`] : []),
      ...(kafkaBase !== undefined ? [`--kafka-port=${kafkaBase + i}`] : []),
      ...options.brokerArgs,
    ];
    return {
      peers,
      supervisor: new BrokerSupervisor({ id, port, bindHost: host, healthHost, argv, env, ...(options.tls !== undefined ? { tls: options.tls } : {}) }, outputFor(id, colour), policy),
    };
  });

  let stopping = false;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const stopAll = async (code: number, done?: string): Promise<void> => {
    await Promise.all(supervisors.map(({ supervisor }) => supervisor.stop()));
    if (done) writeLine("stdout", done);
    finish(code);
  };

  let stopRequestedAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signal === "SIGHUP" && options.tls !== undefined && !stopping) {
      // With TLS, SIGHUP means "reload the certificates", for every broker.
      writeLine("stdout", `SIGHUP received: the ${count} broker${count === 1 ? "" : "s"} reload their TLS certificates`);
      for (const { supervisor } of supervisors) supervisor.signal("SIGHUP");
      return;
    }
    if (stopping) {
      // Only a person pressing Ctrl-C again forces the issue. One stop request often
      // arrives twice at once (`timeout` and service managers signal both the process
      // and its group), and that must not turn a clean stop into SIGKILL.
      if (signal !== "SIGINT" || performance.now() - stopRequestedAt < 500) return;
      writeLine("stderr", "Ctrl-C again: killing the brokers now");
      for (const { supervisor } of supervisors) supervisor.kill();
      return;
    }
    stopping = true;
    stopRequestedAt = performance.now();
    const hint = signal === "SIGINT" ? " (press Ctrl-C again to kill them now)" : "";
    writeLine("stdout", `\n${signal} received: stopping ${count} broker${count === 1 ? "" : "s"}${hint}`);
    void stopAll(0, "All brokers stopped.");
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, onSignal);

  for (const { supervisor, peers } of supervisors) {
    writeLine("stdout", `Starting broker ${supervisor.spec.id} on port ${supervisor.spec.port} with peers: ${peers.join(",")}`);
    supervisor.start();
  }

  void Promise.all(supervisors.map(({ supervisor }) => supervisor.whenFirstUp())).then((ups) => {
    if (stopping) return;
    if (ups.every(Boolean)) {
      writeLine("stdout", `Cluster of ${count} up, data in ${dataDir}:`);
      for (const { supervisor } of supervisors)
        writeLine("stdout", `  broker ${supervisor.spec.id}  ${scheme}://${urlHost}:${supervisor.spec.port}  pid ${supervisor.pid}`);
      if (kafkaPorts.length > 0)
        writeLine(
          "stdout",
          `Kafka${options.tls !== undefined ? " (TLS)" : ""}: ${kafkaPorts.map((p, i) => `broker ${i + 1} ${urlHost}:${p}`).join(", ")}  (try: kcat ${kcatSecurity(options)}-b ${urlHost}:${kafkaPorts[0]} -L)`,
        );
      writeLine("stdout", "Press Ctrl-C to stop.");
    }
  });

  // A broker that never came up at all means the cluster cannot form; and once every
  // broker has been given up, there is nothing left to supervise.
  for (const { supervisor } of supervisors) {
    void supervisor.whenFirstUp().then((up) => {
      if (up || stopping) return;
      stopping = true;
      writeLine("stderr", `Stopping the cluster because broker ${supervisor.spec.id} could not start.`);
      void stopAll(1);
    });
  }
  void Promise.all(supervisors.map(({ supervisor }) => supervisor.whenGivenUp())).then(() => {
    if (stopping) return;
    stopping = true;
    writeLine("stderr", "Every broker has been given up; the launcher exits.");
    finish(1);
  });

  const code = await finished;
  for (const signal of signals) process.off(signal, onSignal);
  return code;
}

/**
 * The kcat flags the printed example needs: TLS, and SASL when the brokers authenticate
 * clients (--auth=token), where a bare `kcat -L` was refused and the hint misled.
 */
function kcatSecurity(options: LocalClusterOptions): string {
  const tls = options.tls !== undefined;
  const sasl = authenticates(options.brokerArgs);
  if (!tls && !sasl) return "";
  const protocol = `-X security.protocol=${sasl ? (tls ? "sasl_ssl" : "sasl_plaintext") : "ssl"} `;
  return `${protocol}${tls ? "-X ssl.ca.location=<ca.pem> " : ""}${sasl ? "-X sasl.mechanisms=SCRAM-SHA-256 -X sasl.username=<user> -X sasl.password=<password> " : ""}`;
}

/** Whether the brokers are given --auth=token (the flag, or STREAMNEST_AUTH). */
function authenticates(brokerArgs: readonly string[]): boolean {
  let mode = process.env.STREAMNEST_AUTH;
  for (let i = 0; i < brokerArgs.length; i++) {
    const arg = brokerArgs[i];
    if (arg.startsWith("--auth=")) mode = arg.slice("--auth=".length);
    else if (arg === "--auth" && i + 1 < brokerArgs.length) mode = brokerArgs[i + 1];
  }
  return mode === "token";
}
