/**
 * Loopback addresses and names: what a broker bound to one can be reached by from this
 * machine only (the exposure warning, the Host check of http/host-check.ts).
 */

/**
 * Whether a --host value binds loopback only: localhost, 127.0.0.0/8 or ::1, in any
 * spelling an IP address has (127.1, 0x7f.1, 0:0:0:0:0:0:0:1: the URL parser writes each
 * as its one form). A name is known only by the address it was bound to (boundAddress).
 */
export function isLoopbackOnly(bindHost: string): boolean {
  return isLoopbackName(normalHost(canonicalIp(bindHost)));
}

/** An address a socket is bound to (127.0.0.1, ::1, ::ffff:127.0.0.1, 0.0.0.0 …): loopback or not. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  return a === "::1" || /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** An IP address as the URL parser writes it (127.1 is 127.0.0.1); anything else as given. */
export function canonicalIp(host: string): string {
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  try {
    return new URL(`http://${bracketed}/`).hostname;
  } catch {
    return host;
  }
}

/** localhost, *.localhost (RFC 6761 §6.3), 127.0.0.0/8, [::1]. */
export function isLoopbackName(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Lower case, without a trailing dot, an IPv6 address in brackets (as in a URL). */
export function normalHost(host: string): string {
  let h = host.toLowerCase();
  if (h.endsWith(".")) h = h.slice(0, -1);
  if (h.includes(":") && !h.startsWith("[")) h = `[${h}]`;
  return h;
}
