import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The import directions of DESIGN.md ("Layout"), checked on every import of every file
 * under src/: a new import that points the wrong way fails here, so the layering holds
 * without anyone having to remember it.
 */

const SRC = resolve(import.meta.dir, "../src");

/** Which top-level folders of src/ each one may import (besides itself). */
const ALLOWED: Record<string, readonly string[] | "*"> = {
  "main.ts": ["commands", "lib"],
  commands: ["node", "client", "lib"],
  node: "*",
  // The console is built into the binary and served by http/ (DESIGN.md, Layout).
  http: ["broker", "auth", "metrics", "console", "lib"],
  kafka: ["broker", "auth", "metrics", "lib"],
  broker: ["storage", "schema", "groups", "auth", "metrics", "lib"],
  cluster: ["broker", "storage", "lib"],
  storage: ["lib"],
  client: ["lib"],
  groups: ["storage", "lib"],
  schema: ["lib"],
  metrics: ["lib"],
  auth: ["lib"],
  config: ["lib"],
  console: ["lib"],
  lib: [],
};

/** Importable from every part: they import only each other (config reads lib). */
const LEAVES = new Set(["config", "lib"]);

/**
 * `cluster -> broker (interfaces)`: the cluster implements what the core declares (its
 * metadata model, peer transport, routing policies, call types) and may name anything
 * else of the core as a type only, never reach into its implementation.
 */
const BROKER_INTERFACES = new Set([
  "broker/config.ts",
  "broker/group-calls.ts",
  "broker/metadata.ts",
  "broker/metadata-placement.ts",
  "broker/metadata-proposer.ts",
  "broker/metadata-store.ts",
  "broker/partition-router.ts",
  "broker/peer-transport.ts",
  "broker/types.ts",
]);

/** Packages that would tie a transport-free layer to a transport. */
const TRANSPORT_PACKAGES = /^(elysia|@elysiajs\/|node:(http|https|http2|net|tls|dgram)$|bun$)/;
const TRANSPORT_FREE = new Set(["broker", "storage", "groups", "schema"]);
/** The route table of /internal/ is the HTTP adapter's and the cluster client's, never the core's. */
const ROUTE_TABLE = "lib/internal-routes.ts";

export interface Import {
  specifier: string;
  typeOnly: boolean;
}

/** Every static import and re-export, dynamic import() and side-effect import of a source text. */
export function importsOf(source: string): Import[] {
  const out: Import[] = [];
  const statement = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/g;
  for (const m of source.matchAll(statement)) {
    const clause = m[3];
    const named = /^\{([\s\S]*)\}$/.exec(clause.trim());
    const allTyped =
      named !== null &&
      named[1]
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "")
        .every((s) => s.startsWith("type "));
    out.push({ specifier: m[4], typeOnly: m[2] !== undefined || allTyped });
  }
  for (const m of source.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)) out.push({ specifier: m[1], typeOnly: false });
  for (const m of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push({ specifier: m[1], typeOnly: false });
  return out;
}

/** The top-level part of src/ a path (relative to src/) belongs to: a folder, or a root file. */
function partOf(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? path : path.slice(0, slash);
}

/** What is wrong with one import of `file` (relative to src/), or undefined. */
export function violation(file: string, imp: Import): string | undefined {
  const from = partOf(file);
  const rules = ALLOWED[from];
  if (rules === undefined) return `${file}: src/${from} has no import rule (add it to DESIGN.md and this test)`;
  if (!imp.specifier.startsWith(".")) {
    if (TRANSPORT_FREE.has(from) && TRANSPORT_PACKAGES.test(imp.specifier)) return `${file} imports ${imp.specifier}: ${from}/ is transport-free`;
    return undefined;
  }
  const target = relative(SRC, resolve(SRC, dirname(file), imp.specifier));
  // Data from outside src/ (the version in package.json) is no code to layer.
  if (target.startsWith("..")) return target.endsWith(".json") ? undefined : `${file} imports ${imp.specifier}, outside src/`;
  const to = partOf(target);
  if (TRANSPORT_FREE.has(from) && target === ROUTE_TABLE) return `${file} imports the /internal/ route table`;
  if (to === from) return undefined;
  // config/ declares every tunable and imports only lib/: a leaf every part may read, like lib/.
  if (LEAVES.has(to)) return undefined;
  if (rules !== "*" && !rules.includes(to)) return `${file} imports ${target}: ${from} -> ${to} is not allowed`;
  if (from === "cluster" && to === "broker" && !imp.typeOnly && !BROKER_INTERFACES.has(target))
    return `${file} imports ${target}: cluster may use the core's interfaces only (import type, or a module the core declares for it)`;
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

describe("import rules (DESIGN.md)", () => {
  test("every import in src/ points the way DESIGN.md allows", () => {
    const problems: string[] = [];
    let checked = 0;
    for (const path of sourceFiles(SRC)) {
      const file = relative(SRC, path);
      for (const imp of importsOf(readFileSync(path, "utf8"))) {
        checked++;
        const problem = violation(file, imp);
        if (problem) problems.push(problem);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  });

  test("the checker sees each kind of import and refuses each kind of violation", () => {
    const source = [
      'import { a } from "../x/a.ts";',
      'import type { B } from "./b.ts";',
      "import {\n  type C,\n  type D,\n} from '../y/c.ts';",
      'export { e } from "../z/e.ts";',
      'import "../side/effect.ts";',
      'const lazy = await import("../lazy/l.ts");',
    ].join("\n");
    expect(importsOf(source)).toEqual([
      { specifier: "../x/a.ts", typeOnly: false },
      { specifier: "./b.ts", typeOnly: true },
      { specifier: "../y/c.ts", typeOnly: true },
      { specifier: "../z/e.ts", typeOnly: false },
      { specifier: "../side/effect.ts", typeOnly: false },
      { specifier: "../lazy/l.ts", typeOnly: false },
    ]);
    expect(violation("broker/x.ts", { specifier: "../cluster/cluster-link.ts", typeOnly: true })).toContain("broker -> cluster is not allowed");
    expect(violation("commands/x.ts", { specifier: "../broker/broker.ts", typeOnly: false })).toContain("commands -> broker is not allowed");
    expect(violation("http/x.ts", { specifier: "../cluster/peer-client.ts", typeOnly: true })).toContain("http -> cluster is not allowed");
    expect(violation("cluster/x.ts", { specifier: "../broker/broker.ts", typeOnly: false })).toContain("the core's interfaces only");
    expect(violation("cluster/x.ts", { specifier: "../broker/broker.ts", typeOnly: true })).toBeUndefined();
    expect(violation("cluster/x.ts", { specifier: "../broker/peer-transport.ts", typeOnly: false })).toBeUndefined();
    expect(violation("broker/x.ts", { specifier: "elysia", typeOnly: false })).toContain("transport-free");
    expect(violation("storage/x.ts", { specifier: "node:net", typeOnly: false })).toContain("transport-free");
    expect(violation("broker/x.ts", { specifier: "../lib/internal-routes.ts", typeOnly: false })).toContain("route table");
    expect(violation("node/x.ts", { specifier: "../http/app.ts", typeOnly: false })).toBeUndefined();
    expect(violation("newplace/x.ts", { specifier: "../lib/errors.ts", typeOnly: false })).toContain("no import rule");
  });
});
