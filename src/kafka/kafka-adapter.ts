import { randomBytes } from "node:crypto";
import { AccessControl } from "../auth/access-control.ts";
import type { SaslSessionOptions } from "../auth/sasl-session.ts";
import { scramCredentialLookup } from "../auth/security-state.ts";
import type { Broker } from "../broker/broker.ts";
import type { KafkaContext } from "./context.ts";
import { ClassicGroups } from "./groups/classic-groups.ts";
import { type KafkaOptions, splitAddress } from "./options.ts";
import { ProducerStates } from "./producer-state.ts";
import { KafkaServer } from "./server.ts";

export { type KafkaOptions, splitAddress } from "./options.ts";

/**
 * The Kafka door of one broker, over the same core as the HTTP one.
 *
 *   const kafka = await KafkaAdapter.start(broker, options, { kafkaAddressOf, log });
 *   kafka.port;   kafka.advertise;
 *   await kafka.close();
 */
export class KafkaAdapter {
  private constructor(
    private readonly server: KafkaServer,
    private readonly lifetime: AbortController,
    private readonly groups: ClassicGroups,
    /** host:port Metadata names for this broker. */
    readonly advertise: string,
  ) {}

  static async start(
    broker: Broker,
    options: KafkaOptions,
    hooks: {
      peerKafkaAddress?: (id: number) => string | undefined;
      log?: (line: string) => void;
      /** The node's access control; with authentication on, every connection must SASL first. */
      access?: AccessControl;
      /**
       * ≥ 32 bytes the fake SCRAM salts of unknown users derive from: the same on every
       * broker of a cluster, so a prober sees one salt per name wherever it asks.
       */
      saslSecret?: Uint8Array;
    } = {},
  ): Promise<KafkaAdapter> {
    const access = hooks.access ?? new AccessControl({ mode: "none", security: () => broker.security() });
    const sasl: SaslSessionOptions | undefined = access.enabled
      ? {
          // Read at each exchange: users added or changed through any broker count at once.
          credentialOf: (name, mechanism) => scramCredentialLookup(broker.security())(name, mechanism),
          fakeCredentialSecret: hooks.saslSecret ?? randomBytes(32),
        }
      : undefined;
    const lifetime = new AbortController();
    const groups = new ClassicGroups();
    let advertise = options.advertise;
    const log = hooks.log ?? ((line: string) => console.log(line));
    const ctx: KafkaContext = {
      broker,
      options,
      kafkaAddressOf: (id) => {
        const address = id === broker.self.id ? advertise : hooks.peerKafkaAddress?.(id);
        return address === undefined ? undefined : splitAddress(address);
      },
      producers: new ProducerStates(broker.self.id),
      groups,
      lifetime: lifetime.signal,
      log,
      access,
      sasl,
      countRequest: (api, ok) => broker.metrics.protocolRequest("kafka", api, ok),
    };
    const server = await KafkaServer.listen(ctx, options.host, options.port);
    advertise = advertise.replace(/:0+$/, `:${server.port}`);
    return new KafkaAdapter(server, lifetime, groups, advertise);
  }

  get port(): number {
    return this.server.port;
  }

  async close(): Promise<void> {
    this.lifetime.abort();
    this.groups.close();
    await this.server.close();
  }
}
