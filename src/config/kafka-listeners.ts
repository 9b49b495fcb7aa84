import { address, configError } from "./read.ts";

/**
 * Kafka's listener-name model (KIP-103): a broker may listen on several addresses, each
 * named, and advertise a different address per name; a client is told every broker's
 * address for the listener it connected to. So one listener can name the brokers as the
 * compose network knows them (broker-1:9092) and another as the host knows them
 * (localhost:9092).
 *
 *   --kafka-listeners=INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:19092
 *   --kafka-advertise=INTERNAL://broker-1:9092,EXTERNAL://localhost:9092
 *
 * As Kafka's `listeners` and `advertised.listeners` (no security protocol: every listener
 * is plaintext). A listener with no advertised address advertises the host it listens on
 * (as Kafka's advertised.listeners defaults to its listeners), or localhost when that is
 * every interface.
 */

/** The name of the first listener when none is given (Kafka's default listener name). */
export const DEFAULT_LISTENER_NAME = "PLAINTEXT";

export interface KafkaListenerSpec {
  /** Upper case, as Kafka normalizes listener names. */
  name: string;
  /** Empty: the broker's --host. */
  host: string;
  /** 0: a free port (reported on stdout). */
  port: number;
}

const NAME = /^[A-Za-z0-9_]+$/;
const ENTRY = /^([^:/]+):\/\/(.*)$/;

function splitEntries(flag: string, given: string): { name: string; rest: string }[] {
  const entries = given.split(",").map((e) => e.trim()).filter((e) => e !== "");
  if (entries.length === 0) throw configError(`${flag} needs at least one NAME://host:port`);
  const seen = new Set<string>();
  return entries.map((entry) => {
    const m = ENTRY.exec(entry);
    if (!m || !NAME.test(m[1])) throw configError(`${flag} entries must be NAME://host:port (NAME of letters, digits and _), not "${entry}"`);
    const name = m[1].toUpperCase();
    if (seen.has(name)) throw configError(`${flag} names the listener ${name} twice`);
    seen.add(name);
    return { name, rest: m[2] };
  });
}

/** `NAME://host:port,…` as listeners; a host may be empty (`NAME://:9092`: the broker's --host). */
export function parseKafkaListeners(given: string): KafkaListenerSpec[] {
  return splitEntries("--kafka-listeners", given).map(({ name, rest }) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(rest);
    if (!m || Number(m[2]) > 65535) throw configError(`--kafka-listeners: ${name} must be NAME://host:port with a port from 0 to 65535, not "${name}://${rest}"`);
    return { name, host: m[1].replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
  });
}

/**
 * --kafka-advertise: one host:port (for the first listener), or `NAME://host:port,…` per
 * listener name. Every name must be one of the listeners'.
 */
export function parseKafkaAdvertise(given: string, listeners: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (!given.includes("://")) {
    out.set(listeners[0], address("--kafka-advertise", given));
    return out;
  }
  for (const { name, rest } of splitEntries("--kafka-advertise", given)) {
    if (!listeners.includes(name))
      throw configError(`--kafka-advertise names the listener ${name}, which --kafka-listeners does not have (it has ${listeners.join(", ")})`);
    out.set(name, address(`--kafka-advertise (${name})`, rest));
  }
  return out;
}

/**
 * What a listener bound to `host`:`port` advertises when --kafka-advertise names nothing
 * for it: that host, since a client can reach it there (Kafka's advertised.listeners
 * defaults to listeners); localhost when it listens on every interface, which names no
 * one address. Why not always localhost: a broker bound to 127.0.0.1 only, advertising
 * localhost, sent every client that resolves localhost to ::1 first on a detour (librdkafka
 * took ~0.5 s to fall back to 127.0.0.1 in the benchmark).
 */
export function defaultKafkaAdvertise(host: string, port: number): string {
  if (host === "" || host === "0.0.0.0" || host === "::" || host === "[::]") return `localhost:${port}`;
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}
