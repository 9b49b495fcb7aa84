/**
 * Builds the web console (src/console/ui) into dist/console/ and prints the size of its
 * first view, raw and gzipped (as the broker serves it).
 *   bun scripts/build-console.ts [--out=dir]
 *
 * Not a step anyone must run: `npm run build` embeds the console in the executable (a
 * Bun macro, src/console/assets.ts), and from source the broker builds it on the first
 * visit to /console. This writes the same files out, to look at or to measure.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundleConsole } from "../src/console/bundle.ts";

const root = resolve(import.meta.dir, "..");
const flag = process.argv.slice(2).find((a) => a.startsWith("--out="));
const out = resolve(root, flag === undefined ? "dist/console" : flag.slice("--out=".length));

const assets = await bundleConsole();
rmSync(out, { recursive: true, force: true });
const dir = join(out, "assets", assets.hash);
mkdirSync(dir, { recursive: true });
const files: Array<[string, string]> = [
  [join(out, "index.html"), assets.html.replaceAll("%BASE%", "./assets")],
  [join(dir, "console.js"), assets.js],
  [join(dir, "console.css"), assets.css],
];
let raw = 0;
let gzipped = 0;
for (const [path, text] of files) {
  const bytes = new TextEncoder().encode(text);
  await Bun.write(path, bytes);
  const gz = Bun.gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gzipped += gz;
  console.log(`${path.slice(root.length + 1).padEnd(48)} ${String(bytes.length).padStart(8)} B  ${String(gz).padStart(7)} B gzipped`);
}
console.log(`${"first view (page, script, stylesheet)".padEnd(48)} ${String(raw).padStart(8)} B  ${String(gzipped).padStart(7)} B gzipped`);
