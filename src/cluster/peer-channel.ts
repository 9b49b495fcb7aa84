import { type ChannelAnswer, decodeAnswer, encodeCall, FrameError } from "../lib/channel-frames.ts";

/**
 * A follower's end of the replication channel to one leader (lib/channel-frames.ts,
 * http/replica-channel.ts): one WebSocket that carries every replica fetch this broker
 * sends to that leader, many at once, each answer matched to its call by id. The calls
 * and answers are signed by the caller (peer-client.ts) exactly as the HTTP route's;
 * this only moves them. The socket opens at the first call and again after it closes.
 */

/** The socket's close ends every call on it; the caller cannot know whether the leader acted on them. */
export class ChannelClosed extends Error {
  readonly code = "ECONNRESET";
}

/**
 * The socket could not be opened: no call was sent. `status`: the peer answered the
 * upgrade with this HTTP status instead of switching protocols (it does not take it
 * there); undefined when it gave no answer (down, unreachable, too slow).
 * `unreachable`: nothing took the connection (refused: the peer is down or restarting).
 */
export class ChannelRefused extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly unreachable = false,
  ) {
    super(message);
  }

  /** As a refused connection of fetch is named (peer-client.ts tells it from a call that may have arrived). */
  get code(): string | undefined {
    return this.unreachable ? "ConnectionRefused" : undefined;
  }
}

/** How Bun's WebSocket client says the peer answered the upgrade with another status. */
const NOT_SWITCHED = /Expected 101 status code: (\d{3})/;
/** How it says nothing took the connection. */
const NOT_CONNECTED = /: Failed to connect$/;

/** A TLS channel's trust and identity: the leader's certificate is checked against `ca` and the name dialled. */
export interface ChannelTls {
  ca: string[];
  cert: string;
  key: string;
}

interface Waiting {
  resolve: (answer: ChannelAnswer) => void;
  reject: (error: unknown) => void;
}

const OPEN = 1;
/** WebSocket close code for a protocol error (RFC 6455 §7.4.1). */
const PROTOCOL_ERROR = 1002;

export class PeerChannel {
  private socket: WebSocket | undefined;
  private opening: Promise<WebSocket> | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private closed = false;

  /**
   * `url`: ws://host:port/path of the channel, or wss:// over TLS. `headers`: the
   * upgrade's headers (its signature), made anew for each socket opened. `tls`: over
   * TLS, the CAs the leader's certificate must chain to and this broker's own
   * certificate, as they are when a socket opens (SIGHUP may have reloaded them).
   */
  constructor(
    private readonly url: string,
    private readonly headers: () => Record<string, string>,
    private readonly tls: () => ChannelTls | undefined = () => undefined,
  ) {}

  /** Calls waiting for their answers (for tests and metrics). */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** The open socket, opened first if need be; rejects with ChannelRefused when it cannot be within `timeoutMs`. */
  ready(timeoutMs: number): Promise<WebSocket> {
    if (this.socket?.readyState === OPEN) return Promise.resolve(this.socket);
    if (this.closed) return Promise.reject(new ChannelRefused("the channel is closed"));
    this.opening ??= this.open(timeoutMs).finally(() => (this.opening = undefined));
    return this.opening;
  }

  /**
   * Sends one call on the open socket and resolves with its answer. Rejects with the
   * caller's abort reason, with `timeout()` once `timeoutMs` passes (the socket is then
   * closed: a leader that answers nothing in time is not trusted with the next call), or
   * with ChannelClosed when the socket closes first.
   */
  call(socket: WebSocket, authorization: string, body: Uint8Array, timeoutMs: number, timeout: () => Error, signal?: AbortSignal): Promise<ChannelAnswer> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (socket !== this.socket || socket.readyState !== OPEN) return Promise.reject(new ChannelClosed("the replication channel closed"));
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1;
    const id = this.nextId;
    return new Promise<ChannelAnswer>((resolve, reject) => {
      const done = (): void => {
        this.waiting.delete(id);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        done();
        reject(timeout());
        this.drop(socket, 1000, "a call timed out");
      }, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.set(id, {
        resolve: (answer) => {
          done();
          resolve(answer);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      socket.send(encodeCall({ id, authorization, body }));
    });
  }

  /** Closes the socket for good; calls waiting fail with ChannelClosed. */
  close(): void {
    this.closed = true;
    if (this.socket) this.drop(this.socket, 1001, "the broker is stopping");
  }

  private open(timeoutMs: number): Promise<WebSocket> {
    return new Promise<WebSocket>((resolve, reject) => {
      let settled = false;
      const tls = this.tls();
      // Bun's WebSocket takes headers and TLS options (its CA list, a client certificate); the DOM type knows neither.
      const socket = new WebSocket(this.url, { headers: this.headers(), ...(tls !== undefined ? { tls } : {}) } as unknown as string[]);
      socket.binaryType = "arraybuffer";
      const timer = setTimeout(() => fail(new ChannelRefused(`no answer to the upgrade within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.close();
        reject(error);
      };
      socket.onopen = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.closed) {
          socket.close(1001, "the broker is stopping");
          reject(new ChannelRefused("the channel is closed"));
          return;
        }
        this.socket = socket;
        resolve(socket);
      };
      socket.onerror = (event) => {
        const message = (event as ErrorEvent).message ?? "the upgrade failed";
        const status = NOT_SWITCHED.exec(message)?.[1];
        fail(new ChannelRefused(message, status === undefined ? undefined : Number(status), NOT_CONNECTED.test(message)));
      };
      socket.onclose = () => {
        fail(new ChannelRefused("the connection closed during the upgrade"));
        this.lost(socket);
      };
      socket.onmessage = (event) => this.answer(socket, event.data);
    });
  }

  private answer(socket: WebSocket, data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      this.drop(socket, PROTOCOL_ERROR, "the replication channel carries binary frames only");
      return;
    }
    let answer: ChannelAnswer;
    try {
      answer = decodeAnswer(new Uint8Array(data));
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.drop(socket, PROTOCOL_ERROR, error.message.slice(0, 120));
      return;
    }
    // An answer to a call given up on (timed out, aborted) is dropped.
    this.waiting.get(answer.id)?.resolve(answer);
  }

  /** Closes `socket` now and fails every call on it (its close event may come later). */
  private drop(socket: WebSocket, code: number, reason: string): void {
    socket.close(code, reason);
    this.lost(socket);
  }

  private lost(socket: WebSocket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    const error = new ChannelClosed("the replication channel closed before the answer came");
    for (const w of [...this.waiting.values()]) w.reject(error);
  }
}
