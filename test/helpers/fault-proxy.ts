import { connect, createServer, type Server, type Socket } from "node:net";
import { FaultPipe } from "./fault-pipe.ts";

/**
 * A fault-injecting TCP proxy for one directed link between two processes of one
 * machine (broker A reaching broker B), so that tests cut, slow down or half-cut links
 * without root or packet filters (DESIGN.md, "Tests"). It listens on 127.0.0.1 on a
 * port the OS chose and forwards each accepted connection to its target.
 *
 * "Client" is the side that connects to the proxy (A), "target" the side it forwards
 * to (B). The faults, which the test may flip at any moment:
 * - `cut("reset")`: every open connection is reset and every new one is accepted and
 *   reset at once, so callers fail fast (ECONNRESET), as when a peer is down. The
 *   listener keeps its port, so a heal can never lose it to another process.
 * - `cut("blackhole")`: connections stay open and new ones are accepted, but no byte
 *   moves in either direction and the target is not even dialled, so callers hang
 *   until their own timeouts fire, as when packets are silently dropped. A connection
 *   accepted during the blackhole whose client gives up before the heal is dropped
 *   unseen by the target (its handshake would never have arrived).
 * - `oneWay("toTarget" | "toClient")`: only that direction delivers; the other is held.
 * - `delay(ms)`: every chunk, both directions, is delivered `ms` after it was read,
 *   order preserved.
 * Held bytes are delivered after `heal()` if the connection is still open (TCP would
 * retransmit them), never dropped from the middle of a stream.
 */

export type CutMode = "reset" | "blackhole";
export type Direction = "toTarget" | "toClient";

export interface ProxyTarget {
  host: string;
  port: number;
}

export interface FaultProxyStats {
  /** Connections accepted since start, including those reset on arrival. */
  accepted: number;
  /** Connections currently open. */
  open: number;
  /** Bytes delivered to the target / to the client so far. */
  bytesToTarget: number;
  bytesToClient: number;
}

export interface FaultState {
  cut: CutMode | null;
  /** The only direction delivering, or null when both do. */
  oneWay: Direction | null;
  delayMs: number;
}

export class FaultProxy {
  readonly host = "127.0.0.1";
  private readonly connections = new Set<ProxiedConnection>();
  private readonly state: FaultState = { cut: null, oneWay: null, delayMs: 0 };
  private accepted = 0;
  private readonly bytesOfClosed = { toTarget: 0, toClient: 0 };
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private target: ProxyTarget,
  ) {}

  /** Starts a proxy on 127.0.0.1 (OS-chosen port) forwarding to `target`. */
  static async start(target: ProxyTarget): Promise<FaultProxy> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        const address = server.address();
        if (address === null || typeof address === "string") reject(new Error("proxy has no TCP address"));
        else resolve(address.port);
      });
    });
    const proxy = new FaultProxy(server, port, target);
    server.on("connection", (socket) => proxy.accept(socket));
    return proxy;
  }

  /** `127.0.0.1:<port>`: the address to give the client instead of the target's. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Where new connections go; a broker restarted on another port is followed this way. */
  retarget(target: ProxyTarget): void {
    this.target = target;
  }

  faults(): FaultState {
    return { ...this.state };
  }

  cut(mode: CutMode = "reset"): void {
    this.state.cut = mode;
    this.apply();
  }

  oneWay(deliver: Direction): void {
    this.state.oneWay = deliver;
    this.apply();
  }

  /** Applies to chunks read from now on; those already waiting keep their time. */
  delay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay must be a finite number of ms >= 0, got ${ms}`);
    this.state.delayMs = ms;
  }

  /** Back to a plain link: no cut, both directions, no delay. */
  heal(): void {
    this.state.cut = null;
    this.state.oneWay = null;
    this.state.delayMs = 0;
    this.apply();
  }

  stats(): FaultProxyStats {
    let bytesToTarget = this.bytesOfClosed.toTarget;
    let bytesToClient = this.bytesOfClosed.toClient;
    for (const connection of this.connections) {
      bytesToTarget += connection.delivered("toTarget");
      bytesToClient += connection.delivered("toClient");
    }
    return { accepted: this.accepted, open: this.connections.size, bytesToTarget, bytesToClient };
  }

  /** Stops listening and destroys every connection; the port is free once this resolves. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of [...this.connections]) connection.reset();
    await stopped;
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (this.closed || this.state.cut === "reset") {
      client.on("error", () => {});
      client.resetAndDestroy();
      return;
    }
    const connection = new ProxiedConnection(client, () => this.target, () => this.state.delayMs, (gone) => {
      this.connections.delete(gone);
      this.bytesOfClosed.toTarget += gone.delivered("toTarget");
      this.bytesOfClosed.toClient += gone.delivered("toClient");
    });
    this.connections.add(connection);
    connection.apply(this.state);
  }

  private apply(): void {
    for (const connection of [...this.connections]) connection.apply(this.state);
  }
}

const EARLY_BYTES_LIMIT = 1 << 20;

/** A client connection and, once the link lets bytes through, its connection to the target. */
class ProxiedConnection {
  private upstream: Socket | null = null;
  private toTarget: FaultPipe | null = null;
  private toClient: FaultPipe | null = null;
  private gone = false;
  private closedSides = 0;
  /** What the client sent while the link kept it from the target (a blackhole since it connected). */
  private readonly early: Buffer[] = [];
  private earlyBytes = 0;
  private readonly onEarlyData = (chunk: Buffer): void => {
    this.early.push(chunk);
    this.earlyBytes += chunk.length;
    if (this.earlyBytes >= EARLY_BYTES_LIMIT) this.client.pause();
  };
  /**
   * A client that gives up before the link let its connection through is dropped, and
   * the target never hears of it: in a real partition its handshake never arrived.
   */
  private readonly onEarlyEnd = (): void => this.reset();

  constructor(
    private readonly client: Socket,
    private readonly target: () => ProxyTarget,
    private readonly delayMs: () => number,
    private readonly onGone: (connection: ProxiedConnection) => void,
  ) {
    client.on("error", () => this.reset());
    client.on("close", () => this.sideClosed());
    client.on("data", this.onEarlyData);
    client.on("end", this.onEarlyEnd);
  }

  delivered(direction: Direction): number {
    return (direction === "toTarget" ? this.toTarget?.delivered : this.toClient?.delivered) ?? 0;
  }

  apply(state: FaultState): void {
    if (this.gone) return;
    if (state.cut === "reset") {
      this.reset();
      return;
    }
    if (state.cut === "blackhole") {
      this.toTarget?.hold();
      this.toClient?.hold();
      // Not dialled yet: read (into memory, bounded) only to notice a client giving up.
      if (this.upstream === null && this.earlyBytes < EARLY_BYTES_LIMIT) this.client.resume();
      return;
    }
    this.dial();
    if (state.oneWay === "toClient") this.toTarget?.hold();
    else this.toTarget?.release();
    if (state.oneWay === "toTarget") this.toClient?.hold();
    else this.toClient?.release();
  }

  /** Resets both sides (the client sees ECONNRESET) and forgets the connection. */
  reset(): void {
    if (this.gone) return;
    this.gone = true;
    this.toTarget?.stop();
    this.toClient?.stop();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (this.upstream && !this.upstream.destroyed) this.upstream.resetAndDestroy();
    this.onGone(this);
  }

  private dial(): void {
    if (this.upstream !== null) return;
    const { host, port } = this.target();
    const upstream = connect({ host, port, allowHalfOpen: true });
    this.upstream = upstream;
    upstream.on("error", () => this.reset());
    upstream.on("close", () => this.sideClosed());
    this.client.off("data", this.onEarlyData);
    this.client.off("end", this.onEarlyEnd);
    this.toTarget = new FaultPipe(this.client, upstream, this.delayMs, this.early.splice(0));
    this.toClient = new FaultPipe(upstream, this.client, this.delayMs);
    this.client.resume();
  }

  private sideClosed(): void {
    if (this.gone) return;
    this.closedSides++;
    // Forgotten once both sides have closed: each pipe passes its side's end on, so a
    // graceful close of one side leads to the other's. A client leaving before the
    // target was dialled has no other side.
    if (this.upstream === null || this.closedSides === 2) {
      this.gone = true;
      this.toTarget?.stop();
      this.toClient?.stop();
      if (!this.client.destroyed) this.client.destroy();
      if (this.upstream && !this.upstream.destroyed) this.upstream.destroy();
      this.onGone(this);
    }
  }
}
