/**
 * Builds the console (src/console/ui) with Bun.build into one script, one stylesheet
 * and the page that loads them. Run as a program it prints the assets as JSON: that is
 * how the build macro (build-macro.ts) gets them, since a macro may not call Bun.build.
 */
import { resolve } from "node:path";
import { StreamNestError } from "../lib/errors.ts";

export interface ConsoleAssets {
  /** Content hash of the script and stylesheet, part of their URLs (so they can be cached forever). */
  hash: string;
  js: string;
  css: string;
  /** The page, with `%BASE%` where the assets' URL prefix goes. */
  html: string;
}

const UI = resolve(import.meta.dir, "ui");

// The empty data: icon stops browsers asking /favicon.ico, which the broker does not
// serve (a 404, or 401 with --auth=token, logged as an error on every load). Nothing
// inline: the Content-Security-Policy (src/http/console.ts) allows only 'self' scripts.
const PAGE = (hash: string): string => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>StreamNest console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="%BASE%/${hash}/console.css">
<script type="module" src="%BASE%/${hash}/console.js"></script>
</head>
<body>
<noscript>The StreamNest console needs JavaScript; the HTTP API is described at <a href="/swagger">/swagger</a>.</noscript>
<div id="app"></div>
</body>
</html>
`;

export async function bundleConsole(): Promise<ConsoleAssets> {
  const result = await Bun.build({
    entrypoints: [resolve(UI, "main.tsx")],
    target: "browser",
    format: "esm",
    minify: true,
    sourcemap: "none",
    tsconfig: resolve(UI, "tsconfig.json"),
  });
  if (!result.success)
    throw new StreamNestError("INTERNAL_ERROR", `the console did not build:\n${result.logs.map((l) => String(l)).join("\n")}`);
  const js = await result.outputs[0].text();
  const css = await Bun.file(resolve(UI, "console.css")).text();
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(js);
  hasher.update(css);
  const hash = hasher.digest("hex").slice(0, 12);
  return { hash, js, css, html: PAGE(hash) };
}

if (import.meta.main) process.stdout.write(JSON.stringify(await bundleConsole()));
