/**
 * Elysia (1.4) finds a request's path at the first "/" from index 11 of its URL, which
 * assumes a host of at least four characters (`http://abcd/`). With a shorter Host header
 * (`Host: x`, sent by anyone, or a real short name such as `db`) the router took a later
 * part of the path: `/console/consume` ran the `/consume` route, while the token check
 * and the internal-signature check, which read the true path, saw a public console page.
 * That let any caller read topics, create users and reach signed /internal routes
 * (found by fuzzing). A request whose path starts before index 11 is handed to the
 * router again with a longer placeholder host; nothing reads the URL's host, and the
 * Host header itself is left as sent.
 */

/** Where the router would look for the path (Elysia's getPath). */
const ROUTER_PATH_FROM = 11;

/**
 * The URL to route `url` by, when the router would misread it; undefined when it reads it right.
 * A URL that does not parse goes round too: `Host: :8080` makes `http://:8080/…`, on which
 * every `new URL` of the hooks threw, a 500 and a stack trace in the log per request.
 */
export function routableUrl(url: string): string | undefined {
  // No host at all: Bun gives the path alone for a request without a Host header or with
  // one it cannot use (`Host: x/y`, `a?b`, `a@b`), on which new Request() and new URL()
  // threw (a 500 with a stack trace in the log, for anyone).
  if (url.charCodeAt(0) === 47 /* / */) return `${PLACEHOLDER}${url}`;
  const authority = url.indexOf("//") + 2;
  const path = url.indexOf("/", authority);
  if (path === -1 || (path >= ROUTER_PATH_FROM && URL.canParse(url))) return undefined;
  return `${url.slice(0, authority)}streamnest.invalid${url.slice(path)}`;
}

const PLACEHOLDER = "http://streamnest.invalid";

/**
 * `request` with an absolute URL, for the doors that read a path out of the URL string
 * (fast-path.ts, the workers): a relative one (no usable Host) gets the placeholder host,
 * so its path is read from where it starts. The same request when its URL is absolute.
 */
export function withAbsoluteUrl(request: Request): Request {
  return request.url.charCodeAt(0) === 47 ? new Request(`${PLACEHOLDER}${request.url}`, request) : request;
}
