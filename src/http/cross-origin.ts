/**
 * Cross-site request forgery (CSRF): a page of any site the user visits can make the
 * browser send a POST to the broker, e.g. an HTML form with enctype="text/plain" whose
 * body is valid JSON, with no CORS preflight. Without --auth=token (the default) that
 * created topics and wrote messages on a developer's local broker. Browsers say where
 * such a request comes from (Origin, Sec-Fetch-Site); a request that changes something
 * and comes from another origin is refused. curl, the CLI, client libraries and peer
 * brokers send neither header and are not affected; the console is the same origin.
 */

/** Methods that change nothing (RFC 9110 §9.2.1), and OPTIONS, which a browser's preflight uses. */
export function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

/** What crossOriginProblem reads of the request's headers (a Headers, or a test's stand-in). */
export interface HeaderSource {
  get(name: string): string | null;
}

/**
 * The refusal (its message) of a request that may change something and comes from
 * another origin, or undefined. Sec-Fetch-Site `cross-site` or `same-site` (another site, or another
 * subdomain or port of this one) is refused as such; otherwise an Origin header (sent
 * by browsers on every POST) must be this request's own origin, its scheme and Host
 * (default ports left out on both sides). `Origin: null` (a sandboxed frame, a page
 * from a file, some redirects) is never this broker's origin.
 */
export function crossOriginProblem(method: string, url: string, headers: HeaderSource): string | undefined {
  if (isSafeMethod(method)) return undefined;
  const site = headers.get("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") return `cross-origin request refused: the browser says it comes from another site (Sec-Fetch-Site: ${site})`;
  const origin = headers.get("origin");
  if (origin === null) return undefined;
  const own = ownOrigin(url, headers);
  const theirs = canonicalOrigin(origin);
  if (theirs !== undefined && theirs === own) return undefined;
  return `cross-origin request refused: Origin ${origin} is not this broker's origin (${own ?? "unknown: no usable Host"})`;
}

/**
 * The origin a browser reaching this request's Host would have sent. The Host header
 * first: the app may route a request again with a placeholder host in its URL
 * (short-host.ts), and a request built in process (app.handle) has only its URL. The
 * scheme is X-Forwarded-Proto's when present: behind a proxy that ends TLS the broker
 * sees http while the page is https; a page cannot set that header on a request that
 * needs no preflight, so it cannot be used to pass this check.
 */
function ownOrigin(url: string, headers: HeaderSource): string | undefined {
  const forwarded = headers.get("x-forwarded-proto");
  const scheme = forwarded !== null ? `${forwarded.split(",")[0].trim().toLowerCase()}:` : url.startsWith("https:") ? "https:" : "http:";
  let host = headers.get("host");
  if (host === null) {
    const authority = url.indexOf("//");
    if (authority < 0) return undefined;
    const path = url.indexOf("/", authority + 2);
    host = url.slice(authority + 2, path < 0 ? url.length : path);
  }
  return canonicalOrigin(`${scheme}//${host}`);
}

/** scheme://host[:port] as the URL standard writes an origin (lower case, no default port), or undefined. */
function canonicalOrigin(text: string): string | undefined {
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username !== "" || url.password !== "" || (url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") return undefined;
  return `${url.protocol}//${url.host}`;
}
