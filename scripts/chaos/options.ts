/**
 * The chaos run's flags: `npm run chaos -- --duration=120 --brokers=3
 * --faults=kill,pause,partition --seed=N`. Parsed by hand (a script, not a subcommand
 * of the binary): every flag is `--name=value`, an unknown one is an error.
 */

export const FAULT_KINDS = ["kill", "pause", "partition", "wipe"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/**
 * The kinds of a run that names none. A wipe is asked for by name: it leaves the quorum
 * a voter short for the rest of the run (nemesis.ts), which a long run of other faults
 * should not have to work around unless it means to.
 */
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = ["kill", "pause", "partition"];

export interface ChaosOptions {
  /** Seconds of workload under faults (healing and the final reads come after). */
  durationS: number;
  brokers: number;
  faults: FaultKind[];
  seed: number;
  partitions: number;
  /** Concurrent producers (each one logical write at a time). */
  producers: number;
  /** The compiled binary to run instead of the source (also STREAMNEST_BIN). */
  bin?: string;
  /** The quorum's session timeout (ms); SIGSTOP pauses last longer than this. */
  sessionTimeoutMs: number;
  /** Print each fault as it is injected and healed. */
  verbose: boolean;
  /** Write the whole history as JSON here (to replay the checker, or to read). */
  historyOut?: string;
  /** Write each broker's output here (broker-<id>.log) at the end of the run. */
  logsDir?: string;
}

export const DEFAULTS: ChaosOptions = {
  durationS: 120,
  brokers: 3,
  faults: [...DEFAULT_FAULT_KINDS],
  seed: 1,
  partitions: 3,
  producers: 8,
  sessionTimeoutMs: 3000,
  verbose: true,
};

export const USAGE = `usage: npm run chaos -- [--duration=120] [--brokers=3] [--faults=kill,pause,partition[,wipe]] [--seed=N]
                      [--partitions=3] [--producers=8] [--bin=dist/streamnest]
                      [--session-timeout-ms=3000] [--history-out=file.json] [--logs-dir=dir] [--quiet]`;

export function parseOptions(argv: readonly string[], env: Record<string, string | undefined> = process.env): ChaosOptions {
  const options: ChaosOptions = { ...DEFAULTS, faults: [...DEFAULTS.faults], seed: Date.now() % 1_000_000, bin: env.STREAMNEST_BIN || undefined };
  for (const arg of argv) {
    if (arg === "--quiet") {
      options.verbose = false;
      continue;
    }
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!match) throw new Error(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`);
    const [, name, value] = match;
    switch (name) {
      case "duration":
        options.durationS = integer(name, value, 5, 86_400);
        break;
      case "brokers":
        options.brokers = integer(name, value, 3, 9);
        break;
      case "seed":
        options.seed = integer(name, value, 0, 2 ** 32 - 1);
        break;
      case "partitions":
        options.partitions = integer(name, value, 1, 64);
        break;
      case "producers":
        options.producers = integer(name, value, 1, 64);
        break;
      case "session-timeout-ms":
        options.sessionTimeoutMs = integer(name, value, 500, 60_000);
        break;
      case "faults":
        options.faults = faultList(value);
        break;
      case "bin":
        options.bin = value;
        break;
      case "history-out":
        options.historyOut = value;
        break;
      case "logs-dir":
        options.logsDir = value;
        break;
      default:
        throw new Error(`unknown flag --${name}\n${USAGE}`);
    }
  }
  return options;
}

function integer(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

function faultList(value: string): FaultKind[] {
  const names = value === "" || value === "none" ? [] : value.split(",").map((s) => s.trim());
  const kinds: FaultKind[] = [];
  for (const name of names) {
    if (!(FAULT_KINDS as readonly string[]).includes(name)) throw new Error(`unknown fault ${JSON.stringify(name)}; the faults are ${FAULT_KINDS.join(", ")} (or none)`);
    if (!kinds.includes(name as FaultKind)) kinds.push(name as FaultKind);
  }
  return kinds;
}
