import { describe, expect, test } from "bun:test";
import pkg from "../package.json" with { type: "json" };
import { runCli } from "./helpers/broker-harness.ts";

describe("streamnest root command", () => {
  test("--version prints the package version", async () => {
    const { exitCode, stdout } = await runCli(["--version"]);
    expect(exitCode).toBe(0);
    expect(stdout.trim().startsWith(pkg.version)).toBe(true);
  });

  test("--help lists the subcommands", async () => {
    const { exitCode, stdout } = await runCli(["--help"]);
    expect(exitCode).toBe(0);
    for (const sub of ["broker", "producer", "consumer"]) expect(stdout).toContain(sub);
  });

  test("--help into a pipe carries no colour codes", async () => {
    // Clear what would turn colours off anyway, so only the piped stdout decides.
    const { exitCode, stdout } = await runCli(["--help"], { env: { NO_COLOR: "", CI: "", TEST: "", FORCE_COLOR: "" } });
    expect(exitCode).toBe(0);
    expect(stdout).toContain("USAGE streamnest broker|producer|consumer|topics");
    expect(stdout.includes("\u001b[")).toBe(false);
  });
});
