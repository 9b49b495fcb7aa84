import { StreamNestError } from "../lib/errors.ts";

/**
 * Broker addresses as users write them (`host:port`, a comma-separated list of them as
 * Kafka's bootstrap.servers, or full `http://` URLs), turned into base URLs.
 */
export function parseBrokerAddresses(input: string | readonly string[], scheme: "http" | "https" = "http"): string[] {
  const parts = (typeof input === "string" ? input.split(",") : input).map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0) throw new StreamNestError("INVALID_REQUEST", "no broker address given (expected host:port)");
  return parts.map((part) => toBaseUrl(part, scheme));
}

/** `host:port` is `<scheme>://host:port`: http, or https for a client set up for TLS. */
function toBaseUrl(address: string, scheme: "http" | "https"): string {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address);
  const bad = (why: string) => new StreamNestError("INVALID_REQUEST", `"${address}" ${why} (expected host:port)`);
  // Without a scheme the port must be written: there is no default broker port to guess.
  // A trailing slash (`localhost:8080/`, as copied from a browser) changes nothing.
  const hostPort = /^(\[[0-9a-f:.]+\]|[^:/\s]+):(\d+)\/?$/i.exec(address);
  if (!hasScheme && !hostPort) throw bad("is not a broker address");
  const port = hostPort ? Number(hostPort[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535))
    throw new StreamNestError("INVALID_REQUEST", `"${address}": the port must be from 1 to 65535`);
  let url: URL;
  try {
    url = new URL(hasScheme ? address : `${scheme}://${address}`);
  } catch {
    throw bad("is not a broker address");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw bad("is not an http address");
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

/** `http://localhost:8080` -> `localhost:8080`, the form users typed and read. */
export function displayAddress(baseUrl: string): string {
  return baseUrl.replace(/^http:\/\//, "");
}
