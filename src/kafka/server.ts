import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket, type TlsOptions } from "node:tls";
import { certificatePrincipal } from "../auth/certificate-principal.ts";
import type { Principal } from "../auth/principal.ts";
import type { TlsMaterial } from "../lib/tls-material.ts";
import { KafkaConnection } from "./connection.ts";
import type { KafkaContext } from "./context.ts";
import { answerFrame } from "./dispatch.ts";

/**
 * The Kafka protocol listener of one broker: TCP, one KafkaConnection per client,
 * every request answered by dispatch.ts over the shared KafkaContext.
 *
 *   const server = await KafkaServer.listen(ctx, "127.0.0.1", 9092);
 *   server.port;          // the bound port (a free one when 0 was asked)
 *   await server.close();
 *
 * With TLS in the options (Kafka's SSL listener, security.protocol=SSL), every
 * connection is a TLS one, and a CA there requires client certificates (Kafka's
 * ssl.client.auth=required).
 */
export class KafkaServer {
  private readonly connections = new Set<KafkaConnection>();

  private constructor(
    private readonly server: Server,
    private readonly ctx: KafkaContext,
    /** A TLS server's "connection" is the raw socket; the Kafka dialogue starts after the handshake. */
    ready: "connection" | "secureConnection",
  ) {
    server.on(ready, (socket: Socket) => this.accept(socket));
  }

  static listen(ctx: KafkaContext, host: string, port: number): Promise<KafkaServer> {
    const tls = ctx.options.tls;
    const server = tls === undefined ? createServer({ pauseOnConnect: false }) : createTlsServer(tlsOptions(tls));
    // A failed handshake (a plaintext client, no client certificate) is that client's problem, said by its socket's close.
    if (tls !== undefined) server.on("tlsClientError", () => undefined);
    const kafka = new KafkaServer(server, ctx, tls === undefined ? "connection" : "secureConnection");
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port }, () => {
        server.off("error", reject);
        server.on("error", (e) => ctx.log(`kafka: listener error: ${e.message}`));
        resolve(kafka);
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === "object" && address !== null ? address.port : 0;
  }

  /**
   * New connections use this certificate (and CA) from now on; open ones keep theirs.
   * Throws, changing nothing, when the listener is plaintext.
   */
  reloadTls(material: TlsMaterial): void {
    if (this.ctx.options.tls === undefined) throw new Error("the Kafka listener was started without TLS");
    (this.server as TlsServer).setSecureContext(tlsOptions(material));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.close("the broker is shutting down");
    this.connections.clear();
    await closed;
  }

  /** Refusals not yet logged, and when the last refusal line was written. */
  private refusedUnlogged = 0;
  private lastRefusalLog = 0;

  private accept(socket: Socket): void {
    if (this.connections.size >= this.ctx.options.maxConnections) {
      socket.destroy();
      // At most one line a second: a client opening connections in a loop must not turn
      // every refusal into a log line (the log is the disk's, and its reader's, too).
      this.refusedUnlogged++;
      const now = Date.now();
      if (now - this.lastRefusalLog >= 1000) {
        const more = this.refusedUnlogged > 1 ? ` (${this.refusedUnlogged - 1} more refused since the last such line)` : "";
        this.ctx.log(`kafka: refusing a connection from ${socket.remoteAddress}: ${this.ctx.options.maxConnections} are open (--kafka-max-connections)${more}`);
        this.lastRefusalLog = now;
        this.refusedUnlogged = 0;
      }
      return;
    }
    const conn = new KafkaConnection(
      socket,
      this.ctx.options.maxRequestBytes,
      (frame, info, signals) => answerFrame(this.ctx, frame, info, signals),
      this.ctx.log,
      this.ctx.sasl !== undefined,
      this.clientCertificatePrincipal(socket),
    );
    this.connections.add(conn);
    conn.closed.addEventListener("abort", () => this.connections.delete(conn));
  }

  /**
   * Who the client certificate says the client is, on a TLS listener that verifies them
   * (--tls-ca, so the handshake refused any certificate the CA did not sign).
   */
  private clientCertificatePrincipal(socket: Socket): Principal | undefined {
    if (this.ctx.options.tls?.ca === undefined) return undefined;
    const tls = socket as TLSSocket;
    if (tls.authorized !== true) return undefined;
    return certificatePrincipal(tls.getPeerCertificate());
  }
}

function tlsOptions(tls: TlsMaterial): TlsOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca !== undefined ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
  };
}
