import { limit, section } from "./setting.ts";

/**
 * Past 8 threads the one thread that owns the logs (every append and read runs there)
 * is the bottleneck, and each further thread only costs its heap (measured: two
 * workers +4 MB resident idle, +16 MB after the HTTP benchmark's load).
 */
const DEFAULT_HTTP_WORKERS_CAP = 8;
/** More threads than this is a typo, not a machine. */
const MAX_HTTP_WORKERS = 64;

/**
 * The number of cores, capped (see DEFAULT_HTTP_WORKERS_CAP). Linux only: elsewhere
 * SO_REUSEPORT does not spread connections over the sockets that share a port (macOS
 * hands them all to one; Windows has no such option), so one thread is the default.
 */
export function defaultHttpWorkers(platform: string = process.platform): number {
  if (platform !== "linux") return 1;
  const cores = typeof navigator === "object" && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 1;
  return Math.max(1, Math.min(DEFAULT_HTTP_WORKERS_CAP, cores));
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
    default: defaultHttpWorkers,
    defaultText: `the number of cores, at most ${DEFAULT_HTTP_WORKERS_CAP} (Linux; elsewhere 1)`,
    help: "threads serving HTTP on the port (SO_REUSEPORT); 1: the broker's own thread, which keeps every partition log either way",
  },
});

export const HTTP_LIMITS = {
  /** A comment line this often keeps proxies from closing an idle stream and shows a vanished client. */
  sseHeartbeatMs: limit(15_000, "interval of the keep-alive comment on a server-sent event stream", "ms"),
  /** Kafka bounds a produce request by bytes; here a message costs far more than its bytes. */
  maxBatchMessages: limit(100_000, "most messages in one batch produce", "count"),
  /** Long polls and streams lift it per request. */
  idleTimeoutS: limit(60, "seconds a connection may stay idle before the server closes it", undefined),
};
