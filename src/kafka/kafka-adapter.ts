import { randomBytes } from "node:crypto";
import { AccessControl } from "../auth/access-control.ts";
import type { SaslSessionOptions } from "../auth/sasl-session.ts";
import { scramCredentialLookup } from "../auth/security-state.ts";
import type { Broker } from "../broker/broker.ts";
import type { TlsMaterial } from "../lib/tls-material.ts";
import type { KafkaContext } from "./context.ts";
import { reportUnknownErrorsTo } from "./error-map.ts";
import { ClassicGroups } from "./groups/classic-groups.ts";
import { DEFAULT_LISTENER_NAME } from "../config/kafka-listeners.ts";
import { KAFKA_LIMITS } from "../config/kafka.ts";
import { DecompressedGate } from "./decompressed-gate.ts";
import { type KafkaListener, type KafkaOptions, splitAddress } from "./options.ts";
import { ProducerStates } from "./producer-state.ts";
import { KafkaServer } from "./server.ts";

export { DEFAULT_LISTENER_NAME, type KafkaListener, type KafkaOptions, splitAddress } from "./options.ts";

/** A listener as it runs: its name, bound port and advertised address. */
export interface BoundListener {
  name: string;
  port: number;
  advertise: string;
}

/**
 * The Kafka door of one broker, over the same core as the HTTP one: one TCP listener per
 * listener name (usually one), all over the same groups and producer state.
 *
 *   const kafka = await KafkaAdapter.start(broker, options, { peerKafkaAddress, log });
 *   kafka.port;   kafka.advertise;   kafka.listeners;
 *   await kafka.close();
 */
export class KafkaAdapter {
  private constructor(
    private readonly servers: KafkaServer[],
    private readonly lifetime: AbortController,
    private readonly groups: ClassicGroups,
    /** Every listener, the first one first. */
    readonly listeners: BoundListener[],
    private readonly detachGroups: () => void,
  ) {}

  static async start(
    broker: Broker,
    options: KafkaOptions,
    hooks: {
      peerKafkaAddress?: (id: number, listener: string) => string | undefined;
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
    const groups = new ClassicGroups(undefined, options.groupInitialRebalanceDelayMs);
    // GET /groups shows these groups' members, and HTTP offset changes wait until they are gone.
    const detachGroups = broker.groups.attachForeignGroups(groups);
    const log = hooks.log ?? ((line: string) => console.log(line));
    reportUnknownErrorsTo(log);
    const specs: KafkaListener[] = [
      { name: options.listenerName ?? DEFAULT_LISTENER_NAME, host: options.host, port: options.port, advertise: options.advertise },
      ...(options.moreListeners ?? []),
    ];
    const bound: BoundListener[] = [];
    const shared = {
      broker,
      options,
      producers: new ProducerStates(broker.self.id),
      decompressed: new DecompressedGate(KAFKA_LIMITS.maxDecompressedInFlightBytes.value),
      groups,
      lifetime: lifetime.signal,
      log,
      access,
      sasl,
      countRequest: (api: string, ok: boolean) => broker.metrics.protocolRequest("kafka", api, ok),
    };
    const servers: KafkaServer[] = [];
    try {
      for (const spec of specs) {
        const listener: BoundListener = { name: spec.name, port: 0, advertise: spec.advertise };
        // A client is told every broker's address for the listener it connected to (KIP-103).
        const ctx: KafkaContext = {
          ...shared,
          kafkaAddressOf: (id) => {
            const address = id === broker.self.id ? listener.advertise : hooks.peerKafkaAddress?.(id, listener.name);
            return address === undefined ? undefined : splitAddress(address);
          },
        };
        const server = await KafkaServer.listen(ctx, spec.host, spec.port);
        servers.push(server);
        listener.port = server.port;
        listener.advertise = spec.advertise.replace(/:0+$/, `:${server.port}`);
        bound.push(listener);
      }
    } catch (error) {
      lifetime.abort();
      detachGroups();
      groups.close();
      await Promise.all(servers.map((s) => s.close()));
      throw error;
    }
    return new KafkaAdapter(servers, lifetime, groups, bound, detachGroups);
  }

  /** The first listener's port. */
  get port(): number {
    return this.listeners[0].port;
  }

  /** host:port Metadata names for this broker on the first listener. */
  get advertise(): string {
    return this.listeners[0].advertise;
  }

  /** New connections use this certificate from now on (SIGHUP). */
  reloadTls(material: TlsMaterial): void {
    for (const server of this.servers) server.reloadTls(material);
  }

  async close(): Promise<void> {
    this.lifetime.abort();
    this.detachGroups();
    this.groups.close();
    await Promise.all(this.servers.map((s) => s.close()));
  }
}
