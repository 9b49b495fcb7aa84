import { defineCommand } from "citty";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { AUTH, DEFAULT_ADMIN_TOKEN_FILE } from "../config/auth.ts";
import { CLUSTER, CLUSTER_QUORUM, LAUNCHER } from "../config/cluster.ts";
import { CORE } from "../config/core.ts";
import { argsOf } from "../config/help.ts";
import { HTTP } from "../config/http.ts";
import { isLoopbackOnly } from "../lib/loopback.ts";
import { guardConsole } from "../lib/log-text.ts";
import { REPLICATION } from "../config/replication.ts";
import { KAFKA, KAFKA_LAUNCHER, parseKafkaPort } from "../config/kafka.ts";
import { DEFAULT_LISTENER_NAME, defaultKafkaAdvertise, type KafkaListenerSpec, parseKafkaAdvertise, parseKafkaListeners } from "../config/kafka-listeners.ts";
import { readBrokerSettings, readClusterSecret } from "../config/broker-settings.ts";
import { readTlsFiles, TLS, type TlsFiles } from "../config/tls.ts";
import { configError, type Env, type Flags, readGiven, readSection } from "../config/read.ts";
import { envName } from "../config/setting.ts";
import { StreamNestError } from "../lib/errors.ts";
import { describeCertificate, loadTlsMaterial } from "../lib/tls-material.ts";
import { type BrokerConfig, brokerConfig, BrokerNode, loadOrCreateAdminToken, runLocalCluster, watchParent } from "../node/broker-command.ts";
import { claimDataDir, dataDirProblem } from "./data-dir.ts";
import { removePortFile, writePortFile } from "./port-file.ts";

/**
 * `streamnest broker`: one broker (`--id --port`), or with `--count=N` a local cluster
 * of N brokers run by the launcher. Every flag is declared in src/config/.
 */

/** What `broker` runs with: the broker's config and where to report its port. */
export interface BrokerStart {
  config: BrokerConfig;
  portFile?: string;
  /** The Kafka listener; absent with --kafka-port off (a single broker's default). */
  kafka?: KafkaStart;
  /** --tls-cert, --tls-key, --tls-ca; absent: plaintext. */
  tls?: TlsFiles;
}

/** The Kafka listeners' options as BrokerNode takes them (port 0: a free one). */
export interface KafkaStart {
  host: string;
  port: number;
  advertise: string;
  /** With --kafka-listeners: the first one's name, and the others. */
  listenerName?: string;
  moreListeners?: { name: string; host: string; port: number; advertise: string }[];
  maxRequestBytes: number;
  maxConnections: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  reauthMs: number;
  groupInitialRebalanceDelayMs: number;
}

/**
 * The Kafka listeners from --kafka-* flags, or undefined when there are none: one from
 * --kafka-port, or the named ones of --kafka-listeners (Kafka's listener-name model), each
 * advertising its --kafka-advertise entry, else the host it listens on (defaultKafkaAdvertise).
 */
export function kafkaFromFlags(flags: Flags, host: string, env: Env = process.env): KafkaStart | undefined {
  const kafka = readSection(KAFKA, flags, env);
  const named = kafka.listeners !== undefined && kafka.listeners.trim() !== "" ? parseKafkaListeners(kafka.listeners) : undefined;
  // Named listeners replace the one of STREAMNEST_KAFKA_PORT (the container image sets
  // it), but both as flags say two different things.
  if (named !== undefined && flags["kafka-port"] !== undefined)
    throw configError("give either --kafka-port (one listener) or --kafka-listeners (named listeners), not both");
  const port = named !== undefined ? undefined : parseKafkaPort(kafka.port);
  const specs: KafkaListenerSpec[] | undefined = named ?? (port === undefined ? undefined : [{ name: DEFAULT_LISTENER_NAME, host: "", port: port === "auto" ? 0 : port }]);
  if (specs === undefined) {
    if (kafka.advertise !== undefined) throw configError("--kafka-advertise needs a Kafka listener (--kafka-port or --kafka-listeners)");
    return undefined;
  }
  const advertised = kafka.advertise === undefined ? new Map<string, string>() : parseKafkaAdvertise(kafka.advertise, specs.map((s) => s.name));
  const [first, ...rest] = specs.map((s) => {
    const bound = s.host === "" ? host : s.host;
    return { name: s.name, host: bound, port: s.port, advertise: advertised.get(s.name) ?? defaultKafkaAdvertise(bound, s.port) };
  });
  return {
    host: first.host,
    port: first.port,
    advertise: first.advertise,
    ...(named !== undefined ? { listenerName: first.name, moreListeners: rest } : {}),
    maxRequestBytes: kafka.maxRequestBytes,
    maxConnections: kafka.maxConnections,
    autoCreateTopics: kafka.autoCreateTopics === "on",
    defaultPartitions: kafka.defaultPartitions,
    reauthMs: kafka.reauthMs,
    groupInitialRebalanceDelayMs: kafka.groupInitialRebalanceDelayMs,
  };
}

export function configFromFlags(flags: Flags, env: Env = process.env): BrokerStart {
  const { core, http, cluster } = readBrokerSettings(flags, env);
  // An empty --host bound every interface, the widest exposure, from what was most likely a typo.
  if (http.host.trim() === "") throw configError("--host needs an address to listen on (0.0.0.0 for every interface, 127.0.0.1 for this machine only)");
  const quorum = readSection(CLUSTER_QUORUM, flags, env);
  const replication = readSection(REPLICATION, flags, env);
  const auth = readSection(AUTH, flags, env);
  const kafka = kafkaFromFlags(flags, http.host, env);
  const tls = readTlsFiles(flags, env);
  return {
    config: brokerConfig({
      id: core.id,
      dataDir: core.dataDir,
      host: http.host,
      port: http.port,
      advertise: cluster.advertise,
      peers: cluster.peers,
      clusterSecret: cluster.clusterSecret,
      ...(quorum.controllerVoters !== undefined ? { controllerVoters: quorum.controllerVoters } : {}),
      metadataSnapshotEntries: quorum.metadataSnapshotEntries,
      metadataSnapshotBytes: quorum.metadataSnapshotBytes,
      sessionTimeoutMs: quorum.sessionTimeoutMs,
      clusterId: cluster.clusterId,
      clientAuth: {
        mode: auth.auth,
        ...(auth.adminTokenFile !== undefined && auth.adminTokenFile !== "" ? { adminTokenFile: resolve(auth.adminTokenFile) } : {}),
      },
      maxPartitions: core.maxPartitions,
      maxOpenPartitions: core.maxOpenPartitions,
      maxMessageBytes: core.maxMessageBytes,
      maxBodyBytes: http.maxBodyBytes,
      ...(http.allowedHosts !== undefined ? { allowedHosts: allowedHostsOf(http.allowedHosts) } : {}),
      workers: http.workers,
      sse: { stallMs: http.sseStallMs },
      retentionCheckMs: core.retentionCheckMs,
      defaultReplicationFactor: replication.defaultReplicationFactor,
      replicaLagTimeMs: replication.replicaLagTimeMs,
      uncleanLeaderElection: replication.uncleanLeaderElection === "true",
      leaderWaitMs: replication.leaderWaitMs,
      replicaFetchTransport: replication.replicaFetchTransport,
      log: {
        fsync: core.fsync,
        segmentBytes: core.segmentBytes,
        mappedReads: core.mappedReads === "on",
        ...(core.retentionMs !== undefined ? { retentionMs: core.retentionMs } : {}),
        ...(core.retentionBytes !== undefined ? { retentionBytes: core.retentionBytes } : {}),
      },
    }),
    ...(http.portFile !== undefined ? { portFile: http.portFile } : {}),
    ...withKafka(kafka),
    ...withTls(tls),
  };
}

/** --allowed-hosts: names (or "*"), comma-separated; an empty entry or one with a port or a path is refused. */
export function allowedHostsOf(text: string): string[] {
  const names = text.split(",").map((n) => n.trim().toLowerCase());
  for (const name of names)
    if (name !== "*" && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\.?$/.test(name))
      throw configError(`--allowed-hosts takes host names separated by commas (or *), without ports; ${JSON.stringify(name)} is not one`);
  return names;
}

function withKafka(kafka: KafkaStart | undefined): { kafka?: KafkaStart } {
  return kafka === undefined ? {} : { kafka };
}

function withTls(tls: TlsFiles | undefined): { tls?: TlsFiles } {
  return tls === undefined ? {} : { tls };
}

/** Runs one broker until SIGINT/SIGTERM/SIGHUP (or the launcher's death); returns the exit code. */
export async function runBroker(start: BrokerStart): Promise<number> {
  // Log lines carry what clients sent (names, ids): none may forge a line (lib/log-text.ts).
  guardConsole();
  const dataDir = dataDirProblem(start.config.dataDir, start.config.id);
  if (dataDir !== undefined) {
    console.error(`Error: ${dataDir}`);
    return 1;
  }
  let node: BrokerNode;
  try {
    const tls = start.tls === undefined ? undefined : loadTlsMaterial(start.tls);
    node = BrokerNode.open(start.config, {
      log: (line) => console.log(line),
      warn: (m) => console.warn(`warning: ${m}`),
      ...(start.kafka !== undefined ? { kafka: start.kafka } : {}),
      ...(tls !== undefined ? { tls } : {}),
    });
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    return 1;
  }
  // With --port=0 the node has bound already: this is the port the system chose.
  const config = node.config;
  const claimed = claimDataDir(config.dataDir, config.id);
  if (claimed !== undefined) {
    await node.close();
    console.error(`Error: ${claimed}`);
    return 1;
  }
  try {
    await node.serve();
  } catch (error) {
    await node.close();
    console.error(`Error: ${listenFailure(error, config)}`);
    return 1;
  }
  if (start.portFile !== undefined) {
    const problem = writePortFile(start.portFile, config.port);
    if (problem !== undefined) {
      await node.close();
      console.error(`Error: ${problem}`);
      return 1;
    }
  }
  console.log(`Broker ${config.id} running on :${config.port}`);
  // The first listener's line is the one scripts read (`Kafka listener on :<port>`).
  for (const [i, l] of (node.kafka?.listeners ?? []).entries())
    console.log(
      `Kafka listener ${i === 0 ? "" : `${l.name} `}on :${l.port} (${start.kafka?.listenerName !== undefined ? `${l.name}, ` : ""}advertised as ${l.advertise}${start.tls !== undefined ? ", TLS" : ""})`,
    );
  if (start.tls !== undefined) console.log(tlsBanner(config.advertise, start.tls));
  const exposure = config.clientAuth?.mode === "token" ? undefined : exposureWarning(config.host, config.port);
  if (exposure !== undefined) console.warn(`warning: ${exposure}`);

  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((r) => (finish = r));
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await node.close();
      if (start.portFile !== undefined) removePortFile(start.portFile, config.port);
      finish(0);
    } catch (error) {
      console.error(`Error while stopping: ${(error as Error).message}`);
      finish(1);
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signal === "SIGHUP" && node.tlsEnabled) {
      if (!stopping) void reloadTls(node);
      return;
    }
    void shutdown();
  };
  // SIGHUP too: a broker run in a terminal that is closed stops as cleanly as on Ctrl-C;
  // but a broker with TLS re-reads its certificates on SIGHUP (as nginx, Redpanda and
  // most servers do), so that a renewed certificate needs no restart.
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, onSignal);
  watchParent(() => void shutdown());
  const code = await finished;
  for (const signal of signals) process.off(signal, onSignal);
  return code;
}

/** One line for the log: the certificate now served, or why the one on disk was not taken. */
async function reloadTls(node: BrokerNode): Promise<void> {
  try {
    const material = await node.reloadTls();
    console.log(`TLS: SIGHUP: reloaded ${describeCertificate(material.cert)} from ${material.paths.cert}; new connections use it`);
  } catch (error) {
    console.error(`TLS: SIGHUP: kept the certificate in use: ${(error as Error).message}`);
  }
}

/** The startup line of a TLS broker: where to reach it, and whether client certificates are required. */
function tlsBanner(advertise: string, tls: TlsFiles): string {
  const clients = tls.ca === undefined ? "" : `; clients need a certificate signed by ${tls.ca}`;
  return `HTTPS on https://${advertise} (certificate ${tls.cert}${clients}; SIGHUP reloads it)`;
}

/**
 * The Kafka port of broker 1 of a local cluster: --kafka-base-port, else the HTTP base
 * port + 1012 (so 9092.. with the default 8080..; ports chosen with --base-port carry
 * their Kafka ports along instead of every cluster on a machine racing for 9092).
 * `--kafka-port=off` runs the cluster without Kafka listeners; a port there is refused
 * (each broker gets its own).
 */
function launcherKafkaBase(args: Flags, basePort: number): number | undefined {
  const given = readGiven(KAFKA.port, args);
  if (given !== undefined) {
    if (parseKafkaPort(given) === undefined) return undefined;
    throw configError("--count gives each broker its Kafka port from --kafka-base-port (default: --base-port + 1012, so 9092..); --kafka-port with it takes only off");
  }
  return readGiven(KAFKA_LAUNCHER.basePort, args) ?? basePort + (KAFKA_LAUNCHER.basePort.default - HTTP.port.default);
}

/** Bun names only the errno (e.g. EINVAL for a --host that is no address of this machine). */
function listenFailure(error: unknown, config: BrokerConfig): string {
  if (error instanceof StreamNestError) return error.message;
  return `cannot listen on ${config.host} port ${config.port}: ${(error as Error).message}`;
}

/**
 * With --auth=token, every broker of a local cluster must accept the same admin token: the
 * launcher makes the file once (in the cluster's data dir unless --admin-token-file names
 * one) and names it to each broker. A path is no secret, so it may go on the command line.
 */
function launcherAdminToken(auth: { auth: "none" | "token"; adminTokenFile?: string }, dataDir: string): string[] {
  if (auth.auth !== "token") return [];
  const file = resolve(auth.adminTokenFile !== undefined && auth.adminTokenFile !== "" ? auth.adminTokenFile : resolve(dataDir, DEFAULT_ADMIN_TOKEN_FILE));
  mkdirSync(dirname(file), { recursive: true });
  if (loadOrCreateAdminToken(file).created) console.log(`Created the admin token (User:admin) in ${file}: clients send it with --token or STREAMNEST_TOKEN`);
  return [`--admin-token-file=${file}`];
}

/** Flags a launched broker gets from the launcher itself, so not passed through. */
const LAUNCHER_FLAGS = new Set(["count", "base-port", "data-dir", "host", "id", "port", "peers", "cluster-secret", "cluster-secret-file", "admin-token-file", "kafka-port", "kafka-base-port"]);

/** The interface a local cluster binds when --host names none: this machine only. */
export const LAUNCHER_DEFAULT_HOST = "127.0.0.1";

/** Why a secret given as a flag is a risk: every user of the machine can read argv. */
export const ARGV_SECRET_WARNING =
  "--cluster-secret on the command line is visible to every user of this machine (ps, /proc/<pid>/cmdline); use STREAMNEST_CLUSTER_SECRET or --cluster-secret-file";

/** Loopback addresses: a broker bound to one is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  return isLoopbackOnly(host);
}

/**
 * One warning for a broker that others can reach while it authenticates no client: every
 * topic is then open to whoever reaches the port.
 */
export function exposureWarning(host: string, port: number): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  return `listening on ${host}:${port} beyond this machine, and clients are not authenticated (--auth=none): anyone who reaches this port can read, write and delete every topic; bind --host=127.0.0.1 or put the broker behind a firewall`;
}

/** Flags of one broker that the launcher decides itself for each broker it runs. */
const SINGLE_BROKER_FLAGS = ["id", "port", "peers", "advertise", "port-file", "kafka-advertise", "kafka-listeners"] as const;

/** The same, as environment variables: every launched broker would inherit them. */
const SINGLE_BROKER_SETTINGS = [CORE.id, HTTP.port, CLUSTER.peers, CLUSTER.advertise, HTTP.portFile, KAFKA.advertise, KAFKA.listeners];

function passThrough(rawArgs: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    const match = /^--([^=]+)(=.*)?$/.exec(arg);
    if (!match) continue;
    const name = match[1];
    const inlineValue = match[2] !== undefined;
    const takesNext = !inlineValue && i + 1 < rawArgs.length && !rawArgs[i + 1].startsWith("--");
    if (LAUNCHER_FLAGS.has(name)) {
      if (takesNext) i++;
      continue;
    }
    out.push(arg);
    if (takesNext) out.push(rawArgs[++i]);
  }
  return out;
}

export default defineCommand({
  meta: { name: "broker", description: "Run a broker (--id --port), or a local cluster of N brokers (--count=N)" },
  args: argsOf(CORE, HTTP, TLS, CLUSTER, CLUSTER_QUORUM, REPLICATION, AUTH, LAUNCHER, KAFKA, KAFKA_LAUNCHER),
  async run({ args, rawArgs }) {
    try {
      if (typeof args["cluster-secret"] === "string" && args["cluster-secret"] !== "") console.warn(`warning: ${ARGV_SECRET_WARNING}`);
      if (args.count !== undefined && args["base-port"] !== undefined && /^\s*0+\s*$/.test(args["base-port"]))
        throw configError(
          "--count needs its ports before the brokers start (each is told the others' ports), so --base-port cannot be 0: choose a free --base-port",
        );
      const launcher = readSection(LAUNCHER, args);
      if (launcher.count !== undefined) {
        const { count, basePort } = launcher;
        const single = SINGLE_BROKER_FLAGS.filter((name) => args[name] !== undefined);
        if (single.length > 0)
          throw configError(
            `--count starts brokers 1..N on ports from --base-port, each told the others as peers, so it takes no ${single.map((n) => `--${n}`).join(", ")} (those run one broker: --id --port --peers)`,
          );
        const inherited = SINGLE_BROKER_SETTINGS.map(envName).filter((name) => name !== undefined && (process.env[name] ?? "") !== "");
        if (inherited.length > 0)
          throw configError(
            `--count decides each broker's id, port and peers itself, and every broker it starts would inherit ${inherited.join(", ")}: unset ${inherited.length === 1 ? "it" : "them"}`,
          );
        // Every broker would refuse a bad flag the same way: say it once, start nothing.
        configFromFlags({ ...args, id: "1", port: String(basePort), "data-dir": undefined, peers: undefined, "cluster-secret": undefined, "cluster-secret-file": undefined });
        // A bad certificate is one line here, not the same failure from every broker.
        const tls = readTlsFiles(args);
        if (tls !== undefined) loadTlsMaterial(tls);
        const secret = readClusterSecret(args["cluster-secret"], {}, args["cluster-secret-file"]);
        const clusterDataDir = readSection(CORE, args).dataDir ?? "data";
        const adminTokenArgs = launcherAdminToken(readSection(AUTH, args), clusterDataDir);
        // With --auth=token the Kafka listeners take SASL (PLAIN, SCRAM) and check the same ACLs as HTTP.
        const kafkaBasePort = launcherKafkaBase(args, basePort);
        const code = await runLocalCluster({
          count,
          basePort,
          ...(kafkaBasePort !== undefined ? { kafkaBasePort } : {}),
          dataDir: clusterDataDir,
          // One line for an unusable folder, rather than every broker failing on it.
          prepareDataDir: (dir) => dataDirProblem(dir),
          // Secure by default: a local cluster is for this machine unless --host says otherwise.
          host: readGiven(HTTP.host, args) ?? LAUNCHER_DEFAULT_HOST,
          // Off for the cluster is off for each broker, whatever its environment says.
          brokerArgs: [...passThrough(rawArgs), ...adminTokenArgs, ...(kafkaBasePort === undefined ? ["--kafka-port=off"] : [])],
          // By environment, as the launcher hands over a generated one: argv is public in `ps`.
          ...(secret !== undefined && secret !== "" ? { clusterSecret: secret } : {}),
          ...(tls !== undefined ? { tls: { cert: tls.cert, key: tls.key } } : {}),
        });
        process.exit(code);
      }
      if (args["base-port"] !== undefined)
        throw configError("--base-port goes with --count (a local cluster); one broker takes --port");
      process.exit(await runBroker(configFromFlags(args)));
    } catch (error) {
      if (error instanceof StreamNestError && error.code === "INVALID_REQUEST") {
        console.error(`Error: ${error.message}`);
        process.exit(1);
      }
      throw error;
    }
  },
});
