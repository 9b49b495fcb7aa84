/**
 * Lays out the build context of the container image (see Containerfile): a Linux
 * `streamnest` binary and the glibc files it links, nothing else.
 *
 *   bun scripts/image-context.ts                       dist/streamnest for this machine's arch
 *   bun scripts/image-context.ts --binary=dist/streamnest-linux-arm64 --arch=arm64
 *
 * into dist/image/ (`--out=DIR`):
 *   <arch>/usr/local/bin/streamnest     the binary
 *   <arch>/<path of each library>       every file `ldd` lists (symlinks followed)
 *   <arch>/etc/passwd, /etc/group       the unprivileged user the broker runs as
 *   <arch>/tmp                          1777, for SQLite's temporary files
 *   data/                               empty; copied to /data owned by that user
 *
 * `ldd` must run where the binary runs, so an arm64 context is made on an arm64 machine
 * (the release workflow does that on an arm64 runner). The Containerfile picks
 * `<arch>/` by buildx's TARGETARCH, so one context can hold both for a multi-arch build.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");

/** The user the image runs as: distroless's "nonroot" id, so volumes prepared for those images fit. */
export const IMAGE_UID = 65532;

/** Docker's and OCI's names of the CPU architectures a release binary exists for. */
const ARCH_OF_NODE: Record<string, string> = { x64: "amd64", arm64: "arm64" };

/** The absolute paths of the shared objects `ldd` lists for a binary (the vDSO has no file). */
export function libraryPaths(lddOutput: string): string[] {
  const paths: string[] = [];
  for (const line of lddOutput.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (match) paths.push(match[1]);
    else if (/not found/.test(line)) throw new Error(`ldd cannot find a library: ${line.trim()}`);
  }
  return paths;
}

function flag(argv: string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

async function main(argv: string[]): Promise<void> {
  const binary = resolve(root, flag(argv, "binary") ?? "dist/streamnest");
  const out = resolve(root, flag(argv, "out") ?? "dist/image");
  const arch = flag(argv, "arch") ?? ARCH_OF_NODE[process.arch];
  if (!arch) throw new Error(`no image architecture for ${process.arch}: give --arch`);
  if (!existsSync(binary)) throw new Error(`${binary} does not exist (npm run build makes dist/streamnest)`);

  const ldd = Bun.spawnSync(["ldd", binary], { stdout: "pipe", stderr: "pipe" });
  if (ldd.exitCode !== 0) throw new Error(`ldd ${binary} failed: ${ldd.stderr.toString().trim()}`);
  const libraries = libraryPaths(ldd.stdout.toString());
  if (libraries.length === 0) throw new Error(`ldd lists no libraries for ${binary}: not a dynamically linked Linux binary?`);

  const tree = join(out, arch);
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, "usr/local/bin"), { recursive: true });
  copyFileSync(binary, join(tree, "usr/local/bin/streamnest"));
  chmodSync(join(tree, "usr/local/bin/streamnest"), 0o755);
  // copyFileSync follows symlinks: /lib64/ld-linux-x86-64.so.2 lands as the real file.
  for (const library of libraries) {
    const target = join(tree, library);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(library, target);
    chmodSync(target, 0o755);
  }
  mkdirSync(join(tree, "etc"), { recursive: true });
  writeFileSync(join(tree, "etc/passwd"), `root:x:0:0:root:/root:/sbin/nologin\nstreamnest:x:${IMAGE_UID}:${IMAGE_UID}:StreamNest:/data:/sbin/nologin\n`);
  writeFileSync(join(tree, "etc/group"), `root:x:0:\nstreamnest:x:${IMAGE_UID}:\n`);
  mkdirSync(join(tree, "tmp"), { recursive: true });
  chmodSync(join(tree, "tmp"), 0o1777);
  mkdirSync(join(out, "data"), { recursive: true });
  console.log(`${tree}: streamnest + ${libraries.join(", ")}`);
}

if (import.meta.main) {
  try {
    await main(process.argv.slice(2));
  } catch (error) {
    console.error(`image context failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
