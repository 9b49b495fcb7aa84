import type { Server } from "bun";
import { chmodSync, rmSync } from "node:fs";
import type { AccessControl } from "../../auth/access-control.ts";
import type { Broker } from "../../broker/broker.ts";
import { HTTP_LIMITS } from "../../config/http.ts";
import { StreamNestError } from "../../lib/errors.ts";
import type { TlsMaterial } from "../../lib/tls-material.ts";
import type { StreamNestApp } from "../app.ts";
import { bunTls } from "../server.ts";
import { type ReplicaChannelServer, withReplicaChannel } from "../replica-channel.ts";
import { RequestCounter } from "../respond.ts";
import { OwnerCalls } from "./owner-calls.ts";
import { privateSocketPath, removeStaleSockets } from "./private-socket-path.ts";
import type { Answer, Call, OwnerToWorker, WorkerToOwner } from "./worker-messages.ts";

/** How long a SIGHUP waits for every worker to listen with the new certificate. */
const RELOAD_WAIT_MS = 10_000;

export interface HttpWorkersOptions {
  count: number;
  host: string;
  port: number;
  /** Other names the broker is reached by (its advertised host:port), for the Host check (host-check.ts). */
  names?: readonly string[];
  /** Check the Host's name beyond loopback too (host-check.ts). */
  namesBeyondLoopback?: boolean;
  /** HTTPS in every worker with the broker's certificate. */
  tls?: TlsMaterial;
  /** --auth=token: the owner checks each fast-path call as the app's guard does. */
  access?: AccessControl;
  /** The replication channel, served on the private socket (workers relay it there: channel-relay.ts). */
  channel?: ReplicaChannelServer;
  logError?: (message: string) => void;
}

/**
 * A broker's HTTP served by several threads (--workers=N, N > 1): N worker threads
 * (worker-thread.ts) each listen on the broker's port with a socket of its own
 * (SO_REUSEPORT), among which the kernel spreads the connections. This thread owns every
 * partition log and, once the workers listen, takes no connection from the port itself:
 * all of its time goes to the core. A worker answers the plain single-message reads and
 * produces (fast-requests.ts), handing this thread only the core call (owner-calls.ts);
 * every other request (batches, admin, groups, streams, long polls, /internal/, the
 * console) it passes on as it came to this thread's private Unix socket, where
 * the same app as with --workers=1 answers it; a follower's replication channel it
 * relays there (channel-relay.ts).
 *
 * Why threads and not processes: a partition has one writer, and with threads the
 * writer stays the one it is with --workers=1 (this thread: its coalesced appends, its
 * fsync policy, its recovery), while the HTTP parsing, validation and JSON building of
 * the hot requests move to other cores (in process, the owner's part of a plain produce
 * measured ~22 µs against ~59 µs for the whole route; of a read ~28 µs against ~52 µs).
 * Why this thread leaves the port to the workers: every produce and read passes through
 * it, so it is the first to run out of CPU; serving a share of the connections too, it
 * would spend on HTTP the time the logs need. What it
 * costs: each worker is a JavaScript heap of its own (two workers: +4 MB resident idle,
 * +16 MB after the HTTP benchmark's load; it loads no Elysia), a copy of
 * each call and answer between threads (~5 µs of CPU per request in batches), and one
 * more hop (Unix socket) for the requests passed on.
 *
 * Security: a worker serves TLS with the broker's certificate (mutual TLS with a CA, as
 * the owner would) and is sent new material on SIGHUP; it decides nothing about who may
 * do what. Its fast-path calls carry the Authorization header to the owner, which checks
 * them as its guard checks a route (owner-calls.ts); every other request reaches the
 * owner's app with its headers, where the guard runs as with --workers=1. The private
 * socket is the owner's user's alone (mode 0600).
 */
export class HttpWorkers {
  private readonly workers: Worker[] = [];
  /** Answers ready for each worker, sent together at the end of the turn. */
  private readonly outboxes = new Map<Worker, Answer[]>();
  /** Requests answered by each worker (index: its thread number, 1..N; 0, this thread, takes none from the port). */
  readonly served: number[];
  private readonly calls: OwnerCalls;
  private proxy: Server<unknown> | undefined;
  private readonly socketPath: string;
  private stopped = false;
  /** Workers' acknowledgements of a TLS reload, by worker. */
  private readonly reloads = new Map<Worker, { n: number; done: (problem: string | undefined) => void }>();
  private reloadCount = 0;

  private constructor(
    private readonly app: StreamNestApp,
    broker: Broker,
    count: number,
    private readonly logError: (message: string) => void,
    private tls: TlsMaterial | undefined,
    access: AccessControl | undefined,
    private readonly channel: ReplicaChannelServer | undefined,
  ) {
    this.served = new Array<number>(count + 1).fill(0);
    this.calls = new OwnerCalls(broker, new RequestCounter(broker.metrics), logError, access);
    this.socketPath = privateSocketPath(process.pid, broker.config.id);
  }

  /**
   * Starts `count` workers listening on `port` (already bound here with reusePort, which
   * holds the port until they do) and the private socket they pass requests on to;
   * resolves once every worker listens.
   */
  static async start(
    app: StreamNestApp,
    broker: Broker,
    options: HttpWorkersOptions,
  ): Promise<HttpWorkers> {
    const pool = new HttpWorkers(app, broker, options.count, options.logError ?? ((m) => console.error(m)), options.tls, options.access, options.channel);
    try {
      pool.listenPrivately(broker.config.maxBodyBytes);
      await Promise.all(Array.from({ length: options.count }, (_, i) => pool.startWorker(i + 1, options.host, options.port, options.names ?? [], options.namesBeyondLoopback === true, broker.config.maxBodyBytes)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /**
   * The owner's end of passed-on requests. No idle timeout: the worker in front keeps
   * the client's connection to its own timeout, and a long poll or stream lasts as long
   * as the route lets it.
   */
  private listenPrivately(maxBodyBytes: number): void {
    // In the background: a connection tried per stale socket found, and nothing here waits on them.
    void removeStaleSockets().catch(() => undefined);
    rmSync(this.socketPath, { force: true });
    const app = this.app;
    // Bun's types leave idleTimeout out for a Unix socket; the server takes it all the same.
    const options = {
      unix: this.socketPath,
      maxRequestBodySize: Math.max(maxBodyBytes, Number.MAX_SAFE_INTEGER),
      idleTimeout: 0,
      development: false,
      fetch: this.channel !== undefined ? withReplicaChannel((request) => app.fetch(request), this.channel) : (request: Request) => app.fetch(request),
      ...(this.channel !== undefined ? { websocket: this.channel.websocket } : {}),
    };
    this.proxy = Bun.serve(options as unknown as Parameters<typeof Bun.serve>[0]);
    // TLS and client certificates are checked at the port: the way around them stays closed to other users.
    chmodSync(this.socketPath, 0o600);
  }

  private startWorker(thread: number, host: string, port: number, names: readonly string[], namesBeyondLoopback: boolean, maxBodyBytes: number): Promise<void> {
    const worker = new Worker(workerEntry());
    this.workers.push(worker);
    this.outboxes.set(worker, []);
    return new Promise<void>((resolve, reject) => {
      let listening = false;
      // Before it listens, a failure fails the start; after, it is logged (the other
      // workers keep the port, and the kernel stops handing this one connections).
      worker.onerror = (event) => {
        if (listening) this.logError(`HTTP worker ${thread}: ${event.message}`);
        else reject(new StreamNestError("INVALID_REQUEST", `HTTP worker ${thread} failed to start: ${event.message}`));
      };
      // A worker that stopped after it listened (an error nothing caught ends a worker) is
      // started again: the port is shared, and without this one fault per worker left the
      // broker alive with nobody on its port, which a supervisor watching the process
      // never notices.
      worker.addEventListener("close", () => {
        this.forget(worker);
        if (this.stopped || !listening) return;
        this.logError(`HTTP worker ${thread} stopped; starting it again`);
        this.startWorker(thread, host, port, names, namesBeyondLoopback, maxBodyBytes).catch((error: unknown) =>
          this.logError(`HTTP worker ${thread} could not start again: ${error instanceof Error ? error.message : String(error)}`),
        );
      });
      worker.onmessage = (event: MessageEvent<WorkerToOwner>) => {
        const message = event.data;
        if (message.type === "calls") this.answerCalls(worker, message.calls);
        else if (message.type === "served") this.served[thread] = message.requests;
        else if (message.type === "reloaded" || message.type === "reload-failed") {
          const pending = this.reloads.get(worker);
          if (pending?.n !== message.n) return;
          this.reloads.delete(worker);
          pending.done(message.type === "reloaded" ? undefined : `HTTP worker ${thread}: ${message.message}`);
        }
        else if (message.type === "listening") {
          listening = true;
          resolve();
        }
        else if (message.type === "failed")
          reject(new StreamNestError("INVALID_REQUEST", `HTTP worker ${thread} could not listen on port ${port} (on ${host}): ${message.message}`));
      };
      const start: OwnerToWorker = {
        type: "start",
        thread,
        host,
        port,
        names: [...names],
        namesBeyondLoopback,
        ownerSocket: this.socketPath,
        maxBodyBytes,
        idleTimeoutS: HTTP_LIMITS.idleTimeoutS.value,
        ...(this.tls !== undefined ? { tls: bunTls(this.tls) } : {}),
      };
      worker.postMessage(start);
    });
  }

  /**
   * Answers a worker's calls as each is ready, those ready in one turn of the event loop
   * in one message: a read is answered within the turn, an append after its write, so a
   * read never waits behind an append.
   */
  private answerCalls(worker: Worker, calls: readonly Call[]): void {
    const outbox = this.outboxes.get(worker);
    if (!outbox) return;
    const deliver = (answer: Answer): void => {
      if (outbox.length === 0) setImmediate(() => this.post(worker, outbox.splice(0)));
      outbox.push(answer);
    };
    for (const call of calls) {
      const answer = this.calls.answer(call);
      if (answer instanceof Promise) void answer.then(deliver);
      else deliver(answer);
    }
  }

  /** A worker that is gone: its calls still running are answered to nobody. */
  private forget(worker: Worker): void {
    const at = this.workers.indexOf(worker);
    if (at >= 0) this.workers.splice(at, 1);
    this.outboxes.delete(worker);
    this.reloads.get(worker)?.done(undefined);
    this.reloads.delete(worker);
  }

  private post(worker: Worker, answers: Answer[]): void {
    if (this.stopped || answers.length === 0 || !this.outboxes.has(worker)) return;
    const message: OwnerToWorker = { type: "answers", answers };
    worker.postMessage(message);
  }

  /**
   * Every worker listens with `next` from now on (connections open keep what they began
   * with); resolves once all do, or rejects naming a worker that could not (it serves
   * on with the material it had, as the owner does).
   */
  async reloadTls(next: TlsMaterial): Promise<void> {
    if (this.stopped) return;
    this.tls = next;
    const tls = bunTls(next);
    const n = ++this.reloadCount;
    const problems = await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<string | undefined>((resolve) => {
            // An earlier reload still pending is over: this one decides what the worker serves.
            this.reloads.get(worker)?.done(undefined);
            this.reloads.set(worker, { n, done: resolve });
            worker.postMessage({ type: "tls", tls, n } satisfies OwnerToWorker);
            // A worker that died answers nothing: the reload is reported, not awaited forever.
            setTimeout(() => {
              if (this.reloads.get(worker)?.n !== n) return;
              this.reloads.delete(worker);
              resolve("an HTTP worker did not take the new certificate in time");
            }, RELOAD_WAIT_MS).unref();
          }),
      ),
    );
    const problem = problems.find((p) => p !== undefined);
    if (problem !== undefined) throw new StreamNestError("INVALID_REQUEST", problem);
  }

  /**
   * Workers stop taking connections; the private socket closes once the broker has
   * ended its long polls and streams (the caller closes the broker between stopTaking
   * and close).
   */
  stopTaking(): void {
    for (const worker of this.workers) worker.postMessage({ type: "stop" } satisfies OwnerToWorker);
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const pending of this.reloads.values()) pending.done(undefined);
    this.reloads.clear();
    this.stopTaking();
    const proxy = this.proxy;
    if (proxy) {
      await Promise.race([proxy.stop(false), Bun.sleep(2000)]);
      await proxy.stop(true);
    }
    // A copy: each worker that ends is forgotten (its "close" event), which edits the list.
    for (const worker of [...this.workers]) worker.terminate();
    rmSync(this.socketPath, { force: true });
  }
}

/**
 * The worker's module. From source it is beside this file; in the compiled binary every
 * module is bundled into the entry (so import.meta.url names src/main.ts's place) and the
 * worker is a second entry point of the build (scripts/build.ts), at its path under src/.
 */
function workerEntry(): string {
  if (import.meta.url.includes("$bunfs")) return new URL("./http/workers/worker-thread.ts", import.meta.url).href;
  return new URL("./worker-thread.ts", import.meta.url).href;
}
