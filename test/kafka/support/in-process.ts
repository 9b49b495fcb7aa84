import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessControl } from "../../../src/auth/access-control.ts";
import { Broker } from "../../../src/broker/broker.ts";
import { brokerConfig } from "../../../src/broker/config.ts";
import { KafkaAdapter } from "../../../src/kafka/kafka-adapter.ts";
import type { KafkaOptions } from "../../../src/kafka/options.ts";
import { type ApiName, decodeResponse, encodeRequest, type RequestBody, type ResponseBody } from "../../../src/kafka/protocol/index.ts";
import type { EncodeInput } from "../../../src/kafka/protocol/schema.ts";
import { BrokerMetrics } from "../../../src/metrics/metrics.ts";
import type { LogOptions } from "../../../src/storage/types.ts";

/** A broker core with its Kafka listener in this process, on 127.0.0.1 and a free port; its log lines collected. */
/** `log`: the partition logs' options; `tokenAuth`: SASL required, and the ACLs of the broker's (local) security state checked. */
export async function startInProcess(options: Partial<KafkaOptions> = {}, extra: { log?: Partial<LogOptions>; tokenAuth?: boolean } = {}) {
  const log = extra.log ?? {};
  const security = { tokenAuth: extra.tokenAuth };
  const root = mkdtempSync(join(tmpdir(), "streamnest-kafka-"));
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: root, port: 7001, log }), { metrics: new BrokerMetrics({ defaultMetrics: false }), warn: () => {} });
  const lines: string[] = [];
  const kafka = await KafkaAdapter.start(
    broker,
    {
      host: "127.0.0.1",
      port: 0,
      advertise: "localhost:0",
      maxRequestBytes: 100 * 1024 * 1024,
      maxConnections: 100,
      autoCreateTopics: true,
      defaultPartitions: 1,
      ...options,
    },
    {
      log: (line) => lines.push(line),
      // With tokenAuth: SASL required, and the ACLs of the broker's (local) security state checked.
      ...(security.tokenAuth ? { access: new AccessControl({ mode: "token", security: () => broker.security() }) } : {}),
    },
  );
  return {
    broker,
    kafka,
    lines,
    async stop() {
      await kafka.close();
      await broker.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A raw client connection: frames out, frames in (by their size prefix), and how it ended. */
export class RawClient {
  private buffered = new Uint8Array(0);
  private waiters: (() => void)[] = [];
  closed = false;
  private correlation = 1;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      const next = new Uint8Array(this.buffered.length + chunk.length);
      next.set(this.buffered);
      next.set(chunk, this.buffered.length);
      this.buffered = next;
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => resolve(new RawClient(socket)));
      socket.once("error", reject);
    });
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends a request and decodes its answer. */
  async call<K extends ApiName>(api: K, version: number, body: EncodeInput<RequestBody<K>>): Promise<ResponseBody<K>> {
    const correlationId = this.correlation++;
    this.write(encodeRequest(api, version, { correlationId, clientId: "raw" }, body));
    const frame = await this.frame();
    const answer = decodeResponse(api, version, frame);
    if (answer.correlationId !== correlationId) throw new Error(`correlation id ${answer.correlationId}, expected ${correlationId}`);
    return answer.body;
  }

  /** The next answer frame (without its size), or throws once the connection closed. */
  async frame(timeoutMs = 10_000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffered.length >= 4) {
        const size = new DataView(this.buffered.buffer, this.buffered.byteOffset).getInt32(0);
        if (this.buffered.length >= 4 + size) {
          const frame = this.buffered.slice(4, 4 + size);
          this.buffered = this.buffered.slice(4 + size);
          return frame;
        }
      }
      if (this.closed) throw new Error("the connection closed");
      if (Date.now() > deadline) throw new Error("no answer in time");
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** Resolves true once the server closed the connection, false after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  end(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
