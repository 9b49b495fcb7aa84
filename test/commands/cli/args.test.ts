import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientFor, clientTls, integerFlag, metaArg } from "../../../src/commands/cli/args.ts";
import { StreamNestError } from "../../../src/lib/errors.ts";

function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "no error";
}

describe("integerFlag", () => {
  test("absent is undefined; a whole number at or above the minimum is that number", () => {
    expect(integerFlag("partition", undefined, 0)).toBeUndefined();
    expect(integerFlag("partition", "0", 0)).toBe(0);
    expect(integerFlag("partition", " 12 ", 0)).toBe(12);
    expect(integerFlag("count", "3", 1)).toBe(3);
    expect(integerFlag("offset", "-2", -2)).toBe(-2);
  });

  test("anything else is a usage error naming the flag and the value", () => {
    expect(refusal(() => integerFlag("partition", "-1", 0))).toBe('INVALID_REQUEST: --partition must be a whole number (0 or more), not "-1"');
    expect(refusal(() => integerFlag("count", "0", 1))).toBe('INVALID_REQUEST: --count must be a whole number of at least 1, not "0"');
    for (const bad of ["1.5", "1e3", "", "x", "0x10", "9007199254740993"])
      expect(refusal(() => integerFlag("max", bad, 0))).toBe(`INVALID_REQUEST: --max must be a whole number (0 or more), not "${bad}"`);
  });
});

describe("--meta", () => {
  test("is a citty string flag whose help names its default and its variable", () => {
    expect(metaArg).toEqual({
      type: "string",
      description:
        "a broker of the cluster as host:port (any broker answers; several comma-separated) (default localhost:8080; $STREAMNEST_META)",
      valueHint: "host:port",
    });
  });

  test("clientFor starts from the brokers named", () => {
    expect(clientFor("127.0.0.1:1,127.0.0.1:2").addresses).toEqual(["http://127.0.0.1:1", "http://127.0.0.1:2"]);
  });
});

describe("clientTls", () => {
  // Found by fuzzing the CLI: a --tls-ca that is not PEM read "cannot reach the broker … (FailedToOpenSocket)".
  test("a TLS file that is not PEM, or cannot be read, is a usage error naming the flag and the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "streamnest-cli-tls-"));
    try {
      const garbage = join(dir, "garbage.pem");
      writeFileSync(garbage, "garbage\n");
      expect(refusal(() => clientTls({ "tls-ca": garbage }))).toBe(`INVALID_REQUEST: --tls-ca ${garbage} is not a PEM file`);
      expect(refusal(() => clientTls({ "tls-ca": join(dir, "missing.pem") }))).toBe(`INVALID_REQUEST: --tls-ca ${join(dir, "missing.pem")} cannot be read (ENOENT)`);
      const pem = join(dir, "ca.pem");
      writeFileSync(pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
      expect(clientTls({ "tls-ca": pem })).toEqual({ ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
