import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { healthStatus, LauncherProcess, waitGone } from "../helpers/launcher-process.ts";
import { freePortRange } from "../helpers/port-range.ts";
import { REPO_ROOT } from "../helpers/streamnest-command.ts";

/**
 * StreamNest as users get it. With STREAMNEST_BIN set, the compiled binary is copied
 * alone into an empty folder and run there with a bare environment: no node_modules, no
 * Bun on the PATH, no source tree, a working directory of its own. Without it, the same
 * checks run against the source entry started from an unrelated working directory.
 */

const binEnv = process.env.STREAMNEST_BIN;
const compiled = binEnv !== undefined && binEnv !== "";
let folder = "";
let command: string[] = [];

/** Only what a user's shell would have; in particular no node_modules/.bin (no Bun). */
const BARE_ENV: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin", NO_COLOR: "1" };

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), "streamnest-user-"));
  if (compiled) {
    const copy = join(folder, basename(binEnv));
    copyFileSync(resolve(REPO_ROOT, binEnv), copy);
    chmodSync(copy, 0o755);
    command = [copy];
  } else {
    command = [process.execPath, resolve(REPO_ROOT, "src/main.ts")];
  }
  BARE_ENV.HOME = folder;
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([...command, ...args], { cwd: folder, env: BARE_ENV, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { exitCode, stdout, stderr };
}

async function headCommit(): Promise<string | undefined> {
  const proc = Bun.spawn(["git", "rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, stdout: "pipe", stderr: "ignore" });
  const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  return code === 0 ? text.trim() : undefined;
}

describe(compiled ? `the compiled binary (${binEnv}) alone in an empty folder` : "the source entry run from another folder", () => {
  test("nothing but the executable is in its folder", () => {
    expect(readdirSync(folder)).toEqual(compiled ? [basename(binEnv)] : []);
    // no node_modules in the folder or any folder above it for module resolution to find
    for (let dir = folder; dir !== dirname(dir); dir = dirname(dir)) expect(existsSync(join(dir, "node_modules"))).toBe(false);
  });

  test("--version prints the version and the commit it was built from", async () => {
    const { exitCode, stdout } = await run(["--version"]);
    expect(exitCode).toBe(0);
    if (!compiled) {
      expect(stdout.trim()).toBe(`${pkg.version} (dev)`);
      return;
    }
    const commit = await headCommit();
    // the binary under test must be built from the checked-out commit, else it is not what is tested
    if (commit !== undefined) expect(stdout.trim()).toBe(`${pkg.version} (${commit})`);
    else expect(stdout.trim()).toMatch(new RegExp(`^${pkg.version.replaceAll(".", "\\.")} \\([0-9a-f]{7,}\\)$`));
  });

  test("broker --count=3 runs a cluster there, with its data there and the OpenAPI page served", async () => {
    const base = freePortRange(3);
    const launcher = LauncherProcess.start([`--count=3`, `--base-port=${base}`, "--host=127.0.0.1"], BARE_ENV, { command, cwd: folder, cleanEnv: true });
    try {
      const pids = await launcher.waitUp(3);
      for (const [i, port] of [base, base + 1, base + 2].entries()) {
        expect(launcher.output).toContain(`[broker ${i + 1}] Broker ${i + 1} running on :${port}`);
        expect(await healthStatus(port)).toBe(200);
        // the default data dir is relative to where the user runs it
        expect(existsSync(join(folder, "data", `broker-${i + 1}`))).toBe(true);
      }

      const page = await fetch(`http://127.0.0.1:${base}/swagger`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      const html = await page.text();
      expect(html).toContain("<html");
      // every asset of the page comes from the broker itself (embedded in the binary): it
      // works offline
      expect(html).not.toMatch(/https?:\/\//);
      const assets = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
      expect(assets.length).toBe(4);
      const contentTypes: Record<string, string> = {
        css: "text/css; charset=utf-8",
        js: "text/javascript; charset=utf-8",
        png: "image/png",
      };
      for (const asset of assets) {
        expect(asset).toStartWith("/swagger/assets/");
        const res = await fetch(`http://127.0.0.1:${base}${asset}`);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe(contentTypes[asset.slice(asset.lastIndexOf(".") + 1)]);
        expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
      }
      const spec = await fetch(`http://127.0.0.1:${base}/swagger/json`);
      expect(spec.status).toBe(200);
      const doc = (await spec.json()) as { openapi?: string; paths?: Record<string, unknown> };
      expect(doc.openapi).toMatch(/^3\./);
      for (const path of ["/produce", "/consume", "/create-topic", "/metadata"]) expect(Object.keys(doc.paths ?? {})).toContain(path);

      launcher.kill("SIGINT");
      expect(await launcher.exited).toBe(0);
      expect(await waitGone([...pids.values()])).toEqual([]);
    } finally {
      if (launcher.proc.exitCode === null) launcher.kill("SIGKILL");
      await launcher.exited;
      rmSync(join(folder, "data"), { recursive: true, force: true });
    }
  });
});
