import { limit, section } from "./setting.ts";

/** More threads than this is a typo, not a machine. */
const MAX_HTTP_WORKERS = 64;

/**
 * Past 8 threads the one thread that owns the logs (every append and read runs there)
 * is the bottleneck, and each further thread only costs its heap (measured: two
 * workers +4 MB resident idle, +16 MB after the HTTP benchmark's load).
 */
const SUGGESTED_HTTP_WORKERS_CAP = 8;

/**
 * The default of --workers: the machine's cores but one, at most SUGGESTED_HTTP_WORKERS_CAP,
 * on Linux only (elsewhere SO_REUSEPORT does not spread connections over the sockets
 * sharing a port: macOS hands them all to one; Windows has no such option). One core is
 * left to the thread that owns every partition log, since every append and read runs
 * there: with as many workers as cores they competed with it, and on 2 cores two workers
 * measured below one thread serving everything (single produce 29.6k against 32.0k
 * req/s, batch produce 561k against 715k msg/s, in one run of the HTTP benchmark).
 */
export function suggestedHttpWorkers(platform: string = process.platform, cores: number = machineCores()): number {
  if (platform !== "linux") return 1;
  return Math.max(1, Math.min(SUGGESTED_HTTP_WORKERS_CAP, cores - 1));
}

function machineCores(): number {
  return typeof navigator === "object" && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 1;
}

/** The HTTP listener: where it binds, where it reports its port, how much one request may carry. */
export const HTTP = section({
  port: {
    kind: "integer",
    flag: "port",
    hint: "port",
    unit: "port",
    min: 0,
    max: 65535,
    default: 8080,
    help: "HTTP port; 0: a free one, shown on the first output line",
  },
  host: { kind: "text", flag: "host", hint: "host", default: "0.0.0.0", help: "interface to listen on" },
  allowedHosts: {
    kind: "text",
    flag: "allowed-hosts",
    hint: "names",
    defaultText: "none",
    help: "comma-separated host names browsers may use to reach a broker without --auth (beyond its own names, localhost and IP addresses; against DNS rebinding); * allows any",
  },
  portFile: {
    kind: "text",
    flag: "port-file",
    hint: "path",
    defaultText: "none",
    help: "once listening, write the HTTP port to this file (atomically)",
  },
  maxBodyBytes: {
    kind: "bytes",
    flag: "max-body-bytes",
    hint: "bytes",
    unit: "bytes",
    min: 1,
    default: 32 * 1024 * 1024,
    help: "largest request body",
  },
  workers: {
    kind: "integer",
    flag: "workers",
    hint: "n",
    unit: "count",
    min: 1,
    max: MAX_HTTP_WORKERS,
    default: () => suggestedHttpWorkers(),
    defaultText: `the cores but one, 1 to ${SUGGESTED_HTTP_WORKERS_CAP} (Linux; elsewhere 1)`,
    help: "threads serving HTTP on the port (SO_REUSEPORT; Linux); 1: the broker's own thread, which keeps every partition log either way",
  },
  /**
   * A live tail reads one batch ahead of its reader (CORE_LIMITS.tailBatchBytes at most,
   * shared by the readers at that offset); a batch left waiting this long means the reader
   * fell behind, and it is told where to resume rather than pinning what it has not read.
   */
  sseStallMs: {
    kind: "integer",
    flag: "sse-stall-ms",
    hint: "ms",
    unit: "ms",
    min: 1,
    max: 2 ** 31 - 1,
    default: 30_000,
    help: "a live-tail (SSE) reader that leaves a ready batch unread this long gets an error event naming the offset to resume from",
  },
});

export const HTTP_LIMITS = {
  /**
   * Deepest nesting of arrays and objects in a request body, checked on the bytes before
   * they are parsed: 30 MB of deep nesting cost 270 MB and 1.5 s of CPU to materialise.
   * A schema may nest 64 levels (SCHEMA_LIMITS), and a broker's metadata wraps it in a few more.
   */
  maxJsonDepth: limit(100, "deepest nesting of arrays and objects in a request body", "count"),
  /** A comment line this often keeps proxies from closing an idle stream and shows a vanished client. */
  sseHeartbeatMs: limit(15_000, "interval of the keep-alive comment on a server-sent event stream", "ms"),
  /** Kafka bounds a produce request by bytes; here a message costs far more than its bytes. */
  maxBatchMessages: limit(100_000, "most messages in one batch produce", "count"),
  /** Long polls and streams lift it per request. */
  idleTimeoutS: limit(60, "seconds a connection may stay idle before the server closes it", undefined),
};
