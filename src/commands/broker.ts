import { defineCommand } from "citty";
import { resolve } from "node:path";
import { StreamNestError } from "../lib/errors.ts";
import {
  type BrokerConfig,
  brokerConfig,
  BrokerNode,
  CLUSTER_SECRET_ENV,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_PARTITIONS,
  DEFAULT_RETENTION_CHECK_MS,
  defaultMaxOpenPartitions,
  type FsyncMode,
  resolveClusterSecret,
  runLocalCluster,
  watchParent,
} from "../node/broker-command.ts";
import { claimDataDir, dataDirProblem } from "./data-dir.ts";

/**
 * `streamnest broker`: one broker (`--id --port`), or with `--count=N` a local cluster
 * of N brokers run by the launcher.
 */

class FlagError extends Error {}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = String(value).trim();
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new FlagError(`--${name} must be a whole number from ${min} to ${max}, not "${String(value)}"`);
  return n;
}

/** Bytes, optionally with a binary unit: 1048576, 1MiB, 64m, 1g. */
function bytes(name: string, value: unknown, min: number): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(String(value).trim());
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  const n = match && unit !== undefined ? Number(match[1]) * unit : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min)
    throw new FlagError(`--${name} must be a size in bytes of at least ${min} (e.g. 1048576 or 1MiB), not "${String(value)}"`);
  return n;
}

function address(name: string, value: string): string {
  const trimmed = value.trim();
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(trimmed))
    throw new FlagError(`--${name} entries must be host:port, not "${value}"`);
  return trimmed;
}

interface BrokerFlags {
  id?: string;
  port?: string;
  host?: string;
  "data-dir"?: string;
  peers?: string;
  advertise?: string;
  "cluster-secret"?: string;
  fsync?: string;
  "max-partitions"?: string;
  "max-open-partitions"?: string;
  "max-message-bytes"?: string;
  "max-body-bytes"?: string;
  "segment-bytes"?: string;
  "retention-ms"?: string;
  "retention-bytes"?: string;
  "retention-check-ms"?: string;
}

export function configFromFlags(flags: BrokerFlags, env: Record<string, string | undefined> = process.env): BrokerConfig {
  if (flags.id === undefined) throw new FlagError("--id is required (a whole number of at least 1), or --count=N for a local cluster");
  const id = integer("id", flags.id, 1, 2 ** 31 - 1);
  const port = integer("port", flags.port ?? "8080", 1, 65535);
  const fsync = flags.fsync ?? "interval";
  if (fsync !== "always" && fsync !== "interval" && fsync !== "never")
    throw new FlagError(`--fsync must be always, interval or never, not "${fsync}"`);
  const peers = (flags.peers ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => address("peers", p));
  return brokerConfig({
    id,
    port,
    host: flags.host ?? "0.0.0.0",
    dataDir: resolve(flags["data-dir"] ?? `data/broker-${id}`),
    advertise: flags.advertise !== undefined ? address("advertise", flags.advertise) : `localhost:${port}`,
    peers,
    clusterSecret: resolveClusterSecret(flags["cluster-secret"], env),
    maxPartitions: integer("max-partitions", flags["max-partitions"] ?? DEFAULT_MAX_PARTITIONS, 1),
    maxOpenPartitions: integer("max-open-partitions", flags["max-open-partitions"] ?? defaultMaxOpenPartitions(), 1),
    maxMessageBytes: bytes("max-message-bytes", flags["max-message-bytes"] ?? DEFAULT_MAX_MESSAGE_BYTES, 1),
    maxBodyBytes: bytes("max-body-bytes", flags["max-body-bytes"] ?? DEFAULT_MAX_BODY_BYTES, 1),
    ...(flags["retention-check-ms"] !== undefined
      ? { retentionCheckMs: integer("retention-check-ms", flags["retention-check-ms"], 100, 2 ** 31 - 1) }
      : {}),
    log: {
      fsync: fsync as FsyncMode,
      ...(flags["segment-bytes"] !== undefined ? { segmentBytes: bytes("segment-bytes", flags["segment-bytes"], 1024) } : {}),
      ...(flags["retention-ms"] !== undefined ? { retentionMs: integer("retention-ms", flags["retention-ms"], 0) } : {}),
      ...(flags["retention-bytes"] !== undefined ? { retentionBytes: bytes("retention-bytes", flags["retention-bytes"], 0) } : {}),
    },
  });
}

/** Runs one broker until SIGINT/SIGTERM/SIGHUP (or the launcher's death); returns the exit code. */
export async function runBroker(config: BrokerConfig): Promise<number> {
  let node: BrokerNode;
  const dataDir = dataDirProblem(config.dataDir, config.id);
  if (dataDir !== undefined) {
    console.error(`Error: ${dataDir}`);
    return 1;
  }
  try {
    node = BrokerNode.open(config, { log: (line) => console.log(line), warn: (m) => console.warn(`warning: ${m}`) });
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    return 1;
  }
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
    // Bun names only the errno (e.g. EINVAL for a --host that is no address of this machine).
    const message = error instanceof StreamNestError ? error.message : `cannot listen on ${config.host} port ${config.port}: ${(error as Error).message}`;
    console.error(`Error: ${message}`);
    return 1;
  }
  console.log(`Broker ${config.id} running on :${config.port}`);

  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((r) => (finish = r));
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await node.close();
      finish(0);
    } catch (error) {
      console.error(`Error while stopping: ${(error as Error).message}`);
      finish(1);
    }
  };
  const onSignal = (): void => void shutdown();
  // SIGHUP too: a broker run in a terminal that is closed stops as cleanly as on Ctrl-C.
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, onSignal);
  watchParent(() => void shutdown());
  const code = await finished;
  for (const signal of signals) process.off(signal, onSignal);
  return code;
}

/** Flags a launched broker gets from the launcher itself, so not passed through. */
const LAUNCHER_FLAGS = new Set(["count", "base-port", "data-dir", "host", "id", "port", "peers", "cluster-secret"]);

/** Flags of one broker that the launcher decides itself for each broker it runs. */
const SINGLE_BROKER_FLAGS = ["id", "port", "peers", "advertise"] as const;

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
  args: {
    id: { type: "string", description: "broker id, a whole number of at least 1", valueHint: "n" },
    port: { type: "string", description: "HTTP port (default 8080)", valueHint: "port" },
    host: { type: "string", description: "interface to listen on (default 0.0.0.0)", valueHint: "host" },
    "data-dir": {
      type: "string",
      description: "data folder (default data/broker-<id>; with --count, the parent folder, default data)",
      valueHint: "dir",
    },
    peers: { type: "string", description: "the other brokers, comma-separated", valueHint: "host:port,…" },
    advertise: { type: "string", description: "address clients are told to use (default localhost:<port>)", valueHint: "host:port" },
    "cluster-secret": { type: "string", description: `secret guarding /internal/ routes (or $${CLUSTER_SECRET_ENV})`, valueHint: "secret" },
    fsync: { type: "string", description: "flush to the device: always | interval | never (default interval)", valueHint: "mode" },
    "max-partitions": { type: "string", description: `most partitions of one topic (default ${DEFAULT_MAX_PARTITIONS})`, valueHint: "n" },
    "max-open-partitions": {
      type: "string",
      description: `most partition logs kept open when idle, ~3 open files each (default from ulimit -n: ${defaultMaxOpenPartitions()})`,
      valueHint: "n",
    },
    "max-message-bytes": { type: "string", description: "largest message (default 1MiB)", valueHint: "bytes" },
    "max-body-bytes": { type: "string", description: "largest request body (default 32MiB)", valueHint: "bytes" },
    "segment-bytes": { type: "string", description: "roll log segments at this size (default 128MiB)", valueHint: "bytes" },
    "retention-ms": { type: "string", description: "delete segments older than this (default: keep)", valueHint: "ms" },
    "retention-bytes": { type: "string", description: "keep at most this many bytes per partition (default: no limit)", valueHint: "bytes" },
    "retention-check-ms": {
      type: "string",
      description: `how often segments are checked against retention (default ${DEFAULT_RETENTION_CHECK_MS})`,
      valueHint: "ms",
    },
    count: { type: "string", description: "run a local cluster of N brokers (ids 1..N)", valueHint: "n" },
    "base-port": { type: "string", description: "with --count: port of broker 1 (default 8080)", valueHint: "port" },
  },
  async run({ args, rawArgs }) {
    try {
      if (args.count !== undefined) {
        const count = integer("count", args.count, 1, 1000);
        const basePort = integer("base-port", args["base-port"] ?? "8080", 1, 65535);
        const single = SINGLE_BROKER_FLAGS.filter((name) => args[name] !== undefined);
        if (single.length > 0)
          throw new FlagError(
            `--count starts brokers 1..N on ports from --base-port, each told the others as peers, so it takes no ${single.map((n) => `--${n}`).join(", ")} (those run one broker: --id --port --peers)`,
          );
        // Every broker would refuse a bad flag the same way: say it once, start nothing.
        configFromFlags({ ...args, id: "1", port: String(basePort), "data-dir": undefined, peers: undefined, "cluster-secret": undefined });
        const secret = args["cluster-secret"];
        const code = await runLocalCluster({
          count,
          basePort,
          dataDir: args["data-dir"] ?? "data",
          // One line for an unusable folder, rather than every broker failing on it.
          prepareDataDir: (dir) => dataDirProblem(dir),
          host: args.host,
          brokerArgs: passThrough(rawArgs),
          // By environment, as the launcher hands over a generated one: argv is public in `ps`.
          ...(secret !== undefined && secret !== "" ? { clusterSecret: secret } : {}),
        });
        process.exit(code);
      }
      if (args["base-port"] !== undefined)
        throw new FlagError("--base-port goes with --count (a local cluster); one broker takes --port");
      const config = configFromFlags(args);
      process.exit(await runBroker(config));
    } catch (error) {
      if (error instanceof FlagError) {
        console.error(`Error: ${error.message}`);
        process.exit(1);
      }
      throw error;
    }
  },
});
