/**
 * DNS rebinding: a page of evil.example makes evil.example resolve to 127.0.0.1, and its
 * scripts then call a broker on the user's machine as their own origin, reading the
 * answers (no cross-origin rule applies: the browser sees one site). The request still
 * names evil.example in its Host header. A broker that listens on loopback only can
 * only be meant by a loopback name or address, or by a name it was told it has (its
 * --host, its advertised host), so any other Host is refused. A broker that listens on
 * other interfaces is reached by names it cannot know (a load balancer's, a DNS alias),
 * so it is left alone there: --auth=token is what protects it.
 */
import { canonicalIp, isLoopbackAddress, isLoopbackName, isLoopbackOnly, normalHost } from "../lib/loopback.ts";

export { isLoopbackAddress, isLoopbackName, isLoopbackOnly };

/**
 * For a broker listening on loopback only, the check of a request's URL (which Bun
 * builds from the Host header, in lower case, without a default port): the reason it is
 * refused, or undefined. Undefined for a broker listening elsewhere: nothing to check.
 * `names` are the broker's own (its --host, its advertised host), as host or host:port.
 * A URL without a host (Bun's, for a request with no Host or one it cannot use) passes:
 * browsers always send a Host, and the name they send is what rebinding shows.
 */
export function hostCheck(
  bindHost: string,
  names: readonly string[],
  /**
   * The address the server is bound to, once it is (Bun's server.address): what decides
   * for a --host that is a name. `--host=vm` (Debian's /etc/hosts maps the machine's name
   * to 127.0.1.1) listened on loopback and went unchecked when only the spelling counted.
   */
  boundAddress?: () => string | undefined,
  /**
   * Beyond loopback too, refuse a Host that is a name (an IP address always passes) unless
   * it is the broker's own or listed: for a broker that authenticates no client, which a
   * rebound page could otherwise read and write (a container bound to 0.0.0.0, published
   * on the host's 127.0.0.1). With --auth=token the token protects it instead.
   */
  namesBeyondLoopback = false,
): ((url: string) => string | undefined) | undefined {
  if (boundAddress === undefined && !namesBeyondLoopback && !isLoopbackOnly(bindHost)) return undefined;
  const own = new Set([bindHost, canonicalIp(bindHost), ...names].map((name) => normalHost(hostOf(name))));
  // The last authority let through: a client's connection names the same one every time, and it is a string compare.
  let passed = "";
  let loopback: boolean | undefined;
  return (url) => {
    loopback ??= isLoopbackOnly(bindHost) || isLoopbackAddress(boundAddress?.() ?? "");
    if (!loopback && !namesBeyondLoopback) return undefined;
    const start = url.indexOf("//");
    if (start < 0) return undefined;
    const end = url.indexOf("/", start + 2);
    const authority = url.slice(start + 2, end < 0 ? url.length : end);
    if (authority === passed) return undefined;
    const host = normalHost(hostOf(authority));
    // Beyond loopback an IP address passes: no page can rebind one.
    if (isLoopbackName(host) || own.has(host) || (!loopback && isIpAddress(host))) {
      passed = authority;
      return undefined;
    }
    return loopback
      ? `request refused: Host ${authority} is not a name of this broker, which listens on ${bindHost} only (a page of another site may have pointed its name at this machine: DNS rebinding); reach it as localhost or 127.0.0.1, or listen on another interface with --host`
      : `request refused: Host ${authority} is not a name of this broker, which authenticates no client (--auth=none), so a page of another site that pointed this name at it could read and write it (DNS rebinding); reach it by its IP address or localhost, list the name in --allowed-hosts, or turn on --auth=token`;
  };
}

/** An IPv4 address as a URL writes it, or a bracketed IPv6 one. */
function isIpAddress(host: string): boolean {
  return host.startsWith("[") || /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The host of host[:port] or [v6][:port]. */
function hostOf(authority: string): string {
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    return close < 0 ? authority : authority.slice(0, close + 1);
  }
  const colon = authority.indexOf(":");
  // More than one colon and no brackets: a bare IPv6 address (as --host=::1 is written).
  if (colon >= 0 && authority.indexOf(":", colon + 1) >= 0) return authority;
  return colon < 0 ? authority : authority.slice(0, colon);
}


/** The address a Bun server is bound to (its `address`, not in Bun's types); undefined before it is. */
export function boundAddress(server: unknown): string | undefined {
  const address = (server as { address?: { address?: unknown } } | undefined)?.address?.address;
  return typeof address === "string" ? address : undefined;
}
