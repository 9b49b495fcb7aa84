import { Elysia } from "elysia";
import type { ConsoleAssets } from "../console/bundle.ts";
import { StreamNestError } from "../lib/errors.ts";

/**
 * The web console at /console: one page for every /console/… address (the page routes
 * on the client, so links to a topic, partition and offset can be shared), and its
 * script and stylesheet under /console/assets/<content hash>/. The assets are built into
 * the executable (src/console/assets.ts); from source they are built on the first visit.
 */

export const CONSOLE_PATH = "/console";
export const CONSOLE_ASSETS_PATH = "/console/assets";

interface Asset {
  contentType: string;
  body: Uint8Array;
  gzip: Uint8Array;
}

interface Served {
  hash: string;
  page: Asset;
  files: Map<string, Asset>;
}

function asset(contentType: string, text: string): Asset {
  const body = new TextEncoder().encode(text);
  // Compressed once: the script is most of the first view's bytes, and gzip cuts it ~3x.
  return { contentType, body, gzip: Bun.gzipSync(body, { level: 9 }) };
}

function prepare(assets: ConsoleAssets): Served {
  return {
    hash: assets.hash,
    page: asset("text/html; charset=utf-8", assets.html.replaceAll("%BASE%", CONSOLE_ASSETS_PATH)),
    files: new Map([
      ["console.js", asset("text/javascript; charset=utf-8", assets.js)],
      ["console.css", asset("text/css; charset=utf-8", assets.css)],
    ]),
  };
}

let served: Promise<Served> | undefined;

/** Loaded on first use: from source that runs the console's build, which a broker need not pay at start. */
function load(): Promise<Served> {
  served ??= import("../console/assets.ts").then((m) => prepare(m.CONSOLE_ASSETS));
  return served;
}

/**
 * The page loads only its own script and stylesheet (no inline script or style) and
 * talks only to the broker that served it, so the policy can allow 'self' and nothing
 * else: data: images are the page's empty icon (which spares a /favicon.ico request).
 * No site may frame the console (clickjacking its Delete and Reset buttons), and no
 * <base> or plugin can redirect what it loads.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join("; ");

/** Sent with the page and its assets. X-Frame-Options covers browsers without frame-ancestors. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONSOLE_CSP,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function respond(request: Request, file: Asset, cacheControl: string): Response {
  const gzip = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    "content-type": file.contentType,
    "cache-control": cacheControl,
    vary: "accept-encoding",
  };
  if (gzip) headers["content-encoding"] = "gzip";
  return new Response(gzip ? file.gzip : file.body, { headers });
}

// The page is small and names the current assets' hash: always revalidated. The assets'
// URLs change with their content, so they can be kept forever.
const PAGE_CACHE = "no-cache";
const ASSET_CACHE = "public, max-age=31536000, immutable";

export function consoleRoutes() {
  // hidden: the console is a client of the API, not part of it
  const hidden = { detail: { hide: true } };
  const page = async ({ request }: { request: Request }) => respond(request, (await load()).page, PAGE_CACHE);
  return new Elysia({ name: "streamnest-console" })
    .get(CONSOLE_PATH, page, hidden)
    .get(
      `${CONSOLE_ASSETS_PATH}/:hash/:name`,
      async ({ params, request }) => {
        const current = await load();
        const file = params.hash === current.hash ? current.files.get(params.name) : undefined;
        if (file === undefined) throw new StreamNestError("NOT_FOUND", `no console asset ${new URL(request.url).pathname}`);
        return respond(request, file, ASSET_CACHE);
      },
      hidden,
    )
    .get(`${CONSOLE_PATH}/*`, page, hidden);
}
