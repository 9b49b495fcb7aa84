/**
 * Bind tests for the launcher: a port is only handed to a broker when nothing holds it,
 * and the launcher never frees a port by killing its holder.
 */

export type PortProblem = { port: number; reason: "in-use" | "denied"; address: string };

const WILDCARDS = new Set(["", "0.0.0.0", "::", "[::]"]);

/**
 * The addresses a broker on `host` must be able to own. Peers and clients reach a local
 * broker as `localhost:<port>`, so the loopback addresses are checked even when the broker
 * binds a specific interface; a wildcard host is checked on both IPv6 (dual-stack) and
 * IPv4 because BSD-style stacks let a wildcard bind coexist with a specific one.
 */
function addressesFor(host: string | undefined): string[] {
  const wanted = host === undefined || WILDCARDS.has(host) ? ["::", "0.0.0.0"] : [host.replace(/^\[(.*)\]$/, "$1")];
  return [...new Set([...wanted, "127.0.0.1", "::1"])];
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") return error.code;
  return undefined;
}

function tryBind(hostname: string, port: number): "free" | "in-use" | "denied" | "unavailable" {
  try {
    const listener = Bun.listen({ hostname, port, socket: { data() {} } });
    listener.stop(true);
    return "free";
  } catch (error) {
    const code = errorCode(error);
    if (code === "EADDRINUSE") return "in-use";
    if (code === "EACCES" || code === "EPERM") return "denied";
    // e.g. EADDRNOTAVAIL/EAFNOSUPPORT: this machine has no such address (no IPv6), so
    // nothing can hold the port there either.
    return "unavailable";
  }
}

/** Why `port` cannot be used by a broker on `host`, or undefined when it is free. */
export function portProblem(port: number, host?: string): PortProblem | undefined {
  for (const address of addressesFor(host)) {
    const result = tryBind(address, port);
    if (result === "in-use" || result === "denied") return { port, reason: result, address };
  }
  return undefined;
}

/** Every problem among `ports`, in order (all reported at once, so one run shows them all). */
export function portProblems(ports: number[], host?: string): PortProblem[] {
  const problems: PortProblem[] = [];
  for (const port of ports) {
    const problem = portProblem(port, host);
    if (problem) problems.push(problem);
  }
  return problems;
}

export function describePortProblem(problem: PortProblem): string {
  return problem.reason === "in-use"
    ? `port ${problem.port} is already in use by another process`
    : `port ${problem.port} cannot be used: permission denied (ports below 1024 need privileges)`;
}
