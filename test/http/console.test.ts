import { describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { Elysia } from "elysia";
import { consoleRoutes } from "../../src/http/console.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

/**
 * The console plugin on an Elysia app of its own (the broker's app mounts it the same
 * way), with StreamNestError mapped to its status as the broker's app does.
 */
const app = new Elysia()
  .onError(({ error }) => (error instanceof StreamNestError ? Response.json(error.toJSON(), { status: error.status }) : undefined))
  .use(consoleRoutes());

const get = (path: string, headers: Record<string, string> = {}) => app.handle(new Request(`http://localhost${path}`, { headers }));

function assetPaths(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]);
}

describe("the console at /console", () => {
  test("the page names its script and stylesheet by content hash, and nothing from another origin", async () => {
    const res = await get("/console");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const html = await res.text();
    expect(html).toContain('<div id="app"></div>');
    expect(html).not.toMatch(/(?:src|href)="https?:/);
    const paths = assetPaths(html);
    expect(paths.length).toBe(2);
    expect(paths[0]).toMatch(/^\/console\/assets\/[0-9a-f]{12}\/console\.css$/);
    expect(paths[1]).toMatch(/^\/console\/assets\/[0-9a-f]{12}\/console\.js$/);
  }, 30_000);

  test("every deep link answers the same page (the page routes itself)", async () => {
    const page = await (await get("/console")).text();
    for (const path of ["/console/", "/console/topics/demo?partition=1&offset=42", "/console/groups/billing", "/console/no/such/view"]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(page);
    }
  });

  test("assets: types, kept forever, gzip when asked, and the first view under 300 KB", async () => {
    const [css, js] = assetPaths(await (await get("/console")).text());
    let plain = 0;
    let gzipped = 0;
    for (const [path, type] of [
      [css, "text/css; charset=utf-8"],
      [js, "text/javascript; charset=utf-8"],
    ]) {
      const raw = await get(path);
      expect(raw.status).toBe(200);
      expect(raw.headers.get("content-type")).toBe(type);
      expect(raw.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(raw.headers.get("content-encoding")).toBeNull();
      const body = new Uint8Array(await raw.arrayBuffer());
      const zipped = await get(path, { "accept-encoding": "gzip, deflate, br" });
      expect(zipped.headers.get("content-encoding")).toBe("gzip");
      expect(zipped.headers.get("vary")).toBe("accept-encoding");
      // Bun's fetch-less Response hands back the bytes as sent: still compressed here
      const zbody = new Uint8Array(await zipped.arrayBuffer());
      expect(Buffer.from(gunzipSync(zbody)).equals(Buffer.from(body))).toBe(true);
      plain += body.length;
      gzipped += zbody.length;
    }
    const page = new Uint8Array(await (await get("/console", { "accept-encoding": "gzip" })).arrayBuffer()).length;
    console.log(`console first view: ${page + gzipped} bytes gzipped (${plain} bytes of assets uncompressed)`);
    expect(page + gzipped).toBeLessThan(300 * 1024);
    expect(plain).toBeLessThan(300 * 1024);
  });

  test("the page and its assets are sent with security headers: never framed, not sniffed, no referrer, only 'self' loads", async () => {
    const html = await (await get("/console")).text();
    const [css, js] = assetPaths(html);
    for (const path of ["/console", "/console/topics/demo?partition=1", css, js]) {
      for (const encoding of ["", "gzip"]) {
        const res = await get(path, encoding === "" ? {} : { "accept-encoding": encoding });
        expect(res.status).toBe(200);
        expect(res.headers.get("x-frame-options")).toBe("DENY");
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        expect(res.headers.get("referrer-policy")).toBe("no-referrer");
        expect(res.headers.get("content-security-policy")).toBe(
          "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        );
      }
    }
  });

  test("the page needs nothing the policy forbids: no inline script or style, and an inline icon (no /favicon.ico request)", async () => {
    const html = await (await get("/console")).text();
    // every <script> has a src: an inline one would need a hash in the policy
    expect([...html.matchAll(/<script\b[^>]*>/g)].map((m) => /\bsrc="\/console\/assets\//.test(m[0]))).toEqual([true]);
    expect(html).not.toMatch(/<style\b|\sstyle=/);
    expect([...html.matchAll(/<link rel="icon"[^>]*>/g)].map((m) => m[0])).toEqual(['<link rel="icon" href="data:,">']);
  });

  test("an asset of another build or an unknown name is 404", async () => {
    const [, js] = assetPaths(await (await get("/console")).text());
    for (const path of ["/console/assets/000000000000/console.js", js.replace("console.js", "other.js")]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect((await res.json()) as unknown).toEqual({ error: "NOT_FOUND", message: `no console asset ${path}` });
    }
  });
});
