import { type BrokerOptions, type BrokerProcess, startBroker } from "./broker-harness.ts";
import { until } from "./until.ts";

/** The line a broker prints once its Kafka listener is up. */
const KAFKA_RUNNING = /^Kafka listener on :(\d+)/m;

/**
 * One broker with a Kafka listener on a port it picks itself (`--kafka-port=auto`),
 * reported on stdout. On restart it keeps that port (the flag is rewritten to it), so a
 * client's bootstrap address stays true, as with the HTTP port.
 */
export class KafkaBroker {
  private constructor(
    readonly broker: BrokerProcess,
    private readonly args: string[],
    readonly kafkaPort: number,
    readonly stop: () => Promise<void>,
  ) {}

  static async start(options: BrokerOptions = {}): Promise<KafkaBroker> {
    const args = ["--kafka-port=auto", ...(options.args ?? [])];
    const { broker, stop } = await startBroker({ ...options, args });
    const match = await until(
      "the broker reporting its Kafka port",
      async () => KAFKA_RUNNING.exec(broker.output),
      (m) => m !== null,
      { timeoutMs: 20_000, context: () => broker.output },
    );
    const port = Number(match?.[1]);
    args[0] = `--kafka-port=${port}`;
    return new KafkaBroker(broker, args, port, stop);
  }

  /** host:port for a Kafka client's bootstrap list. */
  get bootstrap(): string {
    return `127.0.0.1:${this.kafkaPort}`;
  }

  get url(): string {
    return this.broker.url;
  }

  /** Clean stop and start on the same ports and data dir. */
  async restart(): Promise<void> {
    const seen = this.broker.output.length;
    await this.broker.restart();
    const line = `Kafka listener on :${this.kafkaPort}`;
    await until("the restarted broker's Kafka listener", async () => this.broker.output.slice(seen).includes(line), (up) => up, {
      timeoutMs: 20_000,
      context: () => this.broker.output,
    });
  }
}
