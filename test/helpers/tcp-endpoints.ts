import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * The two ends of a TCP link, for tests of the fault proxies: a server on 127.0.0.1 that
 * records what each connection sent it (and may echo it or speak first), and a client
 * that records what it got and how it ended.
 */

export class RecordingServer {
  /** Every connection accepted so far, in order, with what it has sent. */
  readonly connections: { socket: Socket; received: Buffer[]; closed: boolean }[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** `echo` writes every byte back; `greeting` is sent on each new connection first. */
  static async start(options: { echo: boolean; greeting?: string }): Promise<RecordingServer> {
    const server = createServer({ allowHalfOpen: true });
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        if (address === null || typeof address === "string") reject(new Error("no TCP address"));
        else resolve(address.port);
      });
    });
    const recording = new RecordingServer(server, port);
    server.on("connection", (socket) => {
      const connection = { socket, received: [] as Buffer[], closed: false };
      recording.connections.push(connection);
      socket.on("error", () => {});
      socket.on("close", () => {
        connection.closed = true;
      });
      socket.on("end", () => socket.end());
      socket.on("data", (chunk: Buffer) => {
        connection.received.push(chunk);
        if (options.echo) socket.write(chunk);
      });
      if (options.greeting !== undefined) socket.write(options.greeting);
    });
    return recording;
  }

  /** Everything connection `index` has sent, as text. */
  receivedText(index: number): string {
    return Buffer.concat(this.connections[index]?.received ?? []).toString();
  }

  /** Writes `text` to every open connection. */
  push(text: string): void {
    for (const { socket, closed } of this.connections) if (!closed) socket.write(text);
  }

  async close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const { socket } of this.connections) socket.destroy();
    await stopped;
  }
}

export class TestClient {
  private readonly chunks: Buffer[] = [];
  /** The error code the connection failed with (ECONNRESET, ECONNREFUSED...), if any. */
  errorCode: string | undefined;
  closed = false;
  readonly ended: Promise<void>;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.wake();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      this.errorCode ??= error.code ?? error.message;
    });
    this.ended = new Promise((resolve) =>
      socket.on("close", () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** Connects to 127.0.0.1:`port`; resolves once connected or once the attempt failed. */
  static async dial(port: number): Promise<TestClient> {
    const socket = connect({ host: "127.0.0.1", port });
    const client = new TestClient(socket);
    await Promise.race([new Promise((resolve) => socket.once("connect", resolve)), client.ended]);
    return client;
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.received.toString();
  }

  /** Waits until `bytes` bytes have arrived (or the connection closed, or `timeoutMs`). */
  async waitForBytes(bytes: number, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = performance.now() + timeoutMs;
    while (this.received.length < bytes && !this.closed && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, Math.max(1, deadline - performance.now()));
        const waiter = (): void => finish();
        this.waiters.add(waiter);
        function finish(): void {
          clearTimeout(timer);
          resolve();
        }
      });
      this.waiters.clear();
    }
    return this.received;
  }

  /** Waits until the connection has closed, or fails after `timeoutMs`. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
