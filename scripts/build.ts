/**
 * Builds the single `streamnest` executable with `bun build --compile`.
 *   bun scripts/build.ts                      the host's binary: dist/streamnest
 *   bun scripts/build.ts --all                also every release target:
 *                                             dist/streamnest-<os>-<arch>[.exe] + dist/SHA256SUMS
 *   bun scripts/build.ts --target=linux-arm64,windows-x64   only those release targets
 *
 * Cross-compiling needs the target's Bun runtime. Bun fetches it once into its cache
 * (~/.bun/install/cache) from the npm registry; when the matching `@oven/bun-<os>-<arch>`
 * package is already installed in node_modules, that copy is used instead, so a machine
 * that has it needs no network.
 */
import { $ } from "bun";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";

interface Target {
  /** os-arch as in the asset name. */
  name: string;
  /** `bun build --target` value. */
  bunTarget: string;
  /** The npm package that holds this target's Bun runtime. */
  runtimePackage: string;
  exe: boolean;
}

const TARGETS: Target[] = [
  { name: "linux-x64", bunTarget: "bun-linux-x64", runtimePackage: "@oven/bun-linux-x64", exe: false },
  { name: "linux-arm64", bunTarget: "bun-linux-arm64", runtimePackage: "@oven/bun-linux-aarch64", exe: false },
  { name: "darwin-x64", bunTarget: "bun-darwin-x64", runtimePackage: "@oven/bun-darwin-x64", exe: false },
  { name: "darwin-arm64", bunTarget: "bun-darwin-arm64", runtimePackage: "@oven/bun-darwin-aarch64", exe: false },
  { name: "windows-x64", bunTarget: "bun-windows-x64", runtimePackage: "@oven/bun-windows-x64", exe: true },
];

const root = resolve(import.meta.dir, "..");
const dist = resolve(root, "dist");
const entry = resolve(root, "src/main.ts");
// Bun bundles a Worker's module only when it is an entry point of its own (--workers > 1).
const httpWorkerEntry = resolve(root, "src/http/workers/worker-thread.ts");
const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { version: string };

function hostTargetName(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `${os}-${process.arch}`;
}

function parseTargets(argv: string[]): Target[] {
  if (argv.includes("--all")) return TARGETS;
  const flag = argv.find((a) => a.startsWith("--target="));
  if (!flag) return [];
  const wanted = flag.slice("--target=".length).split(",").filter(Boolean);
  return wanted.map((name) => {
    const target = TARGETS.find((t) => t.name === name);
    if (!target) throw new Error(`unknown target "${name}" (have: ${TARGETS.map((t) => t.name).join(", ")})`);
    return target;
  });
}

async function gitCommit(): Promise<string> {
  const result = await $`git rev-parse --short HEAD`.cwd(root).quiet().nothrow();
  const text = result.stdout.toString().trim();
  return result.exitCode === 0 && text ? text : "unknown";
}

/** The installed runtime package for `target`, if it is the same Bun version as this one. */
function localRuntime(target: Target): string | undefined {
  const dir = resolve(root, "node_modules", target.runtimePackage);
  const binary = resolve(dir, "bin", target.exe ? "bun.exe" : "bun");
  if (!existsSync(binary)) return undefined;
  try {
    const { version } = JSON.parse(readFileSync(resolve(dir, "package.json"), "utf8")) as { version: string };
    return version === Bun.version ? binary : undefined;
  } catch {
    return undefined;
  }
}

async function compile(outfile: string, commit: string, target?: Target): Promise<void> {
  const args = [
    "build",
    entry,
    httpWorkerEntry,
    "--compile",
    "--minify",
    "--sourcemap=none",
    // Precompiled bytecode: the bundle is not parsed at every start, which makes
    // `streamnest --version` about 3x faster for ~10 MB more (see scripts/bench/release.ts).
    "--bytecode",
    "--format=esm",
    `--define=STREAMNEST_COMMIT=${JSON.stringify(commit)}`,
    // A downloaded binary must behave the same in every folder: it must not pick up a
    // stray .env or bunfig.toml from wherever it is run.
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    `--outfile=${outfile}`,
  ];
  if (target) {
    args.push(`--target=${target.bunTarget}`);
    const runtime = localRuntime(target);
    if (runtime) args.push(`--compile-executable-path=${runtime}`);
    // (--windows-title/--windows-version would set the .exe's metadata, but Bun only
    // supports them when compiling on Windows.)
  }
  rmSync(outfile, { force: true });
  const result = await $`${process.execPath} ${args}`.cwd(root).quiet().nothrow();
  if (result.exitCode !== 0 || !existsSync(outfile)) {
    process.stderr.write(result.stdout);
    process.stderr.write(result.stderr);
    throw new Error(`bun build failed for ${basename(outfile)} (exit ${result.exitCode})`);
  }
}

async function sha256(file: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(file).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The host binary must report the commit it was built from; a build that lost the define fails. */
async function checkVersion(binary: string, commit: string): Promise<void> {
  const result = await $`${binary} --version`.quiet().nothrow();
  const text = result.stdout.toString().trim();
  const expected = `${pkg.version} (${commit})`;
  if (result.exitCode !== 0 || text !== expected)
    throw new Error(`${binary} --version printed ${JSON.stringify(text)}, expected ${JSON.stringify(expected)}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const targets = parseTargets(argv);
  mkdirSync(dist, { recursive: true });
  if (argv.includes("--all")) {
    // a full release build leaves no file of an earlier build beside the new ones
    for (const name of readdirSync(dist)) if (name.startsWith("streamnest-") || name === "SHA256SUMS") rmSync(resolve(dist, name));
  }
  const commit = await gitCommit();
  const rows: Array<[string, string, string]> = [];

  const hostBinary = resolve(dist, process.platform === "win32" ? "streamnest.exe" : "streamnest");
  await compile(hostBinary, commit);
  await checkVersion(hostBinary, commit);
  rows.push([basename(hostBinary), "host", mib(statSync(hostBinary).size)]);

  const sums: string[] = [];
  for (const target of targets) {
    const outfile = resolve(dist, `streamnest-${target.name}${target.exe ? ".exe" : ""}`);
    // The host's release binary is the one just built and checked; compiling it again
    // would only cost time.
    if (target.name === hostTargetName()) copyFileSync(hostBinary, outfile);
    else await compile(outfile, commit, target);
    rows.push([basename(outfile), target.bunTarget, mib(statSync(outfile).size)]);
    sums.push(`${await sha256(outfile)}  ${basename(outfile)}`);
  }
  // SHA256SUMS lists exactly the files this run built (sha256sum -c format)
  if (targets.length > 0) await Bun.write(resolve(dist, "SHA256SUMS"), `${sums.join("\n")}\n`);

  const width = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ["file", "target", "size"][i].length));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(width[i])).join(" | ")} |`;
  console.log(`streamnest ${pkg.version} (${commit}), Bun ${Bun.version}`);
  console.log(line(["file", "target", "size"]));
  console.log(`|${width.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
  if (targets.length > 0) console.log(`checksums: ${resolve(dist, "SHA256SUMS")}`);
}

try {
  await main();
} catch (error) {
  console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
