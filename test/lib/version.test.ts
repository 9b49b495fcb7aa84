import { describe, expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { COMMIT, VERSION } from "../../src/lib/version.ts";

describe("version", () => {
  test("the package's version; the commit is 'dev' when run from source (the build defines it)", () => {
    expect(VERSION).toBe(pkg.version);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(COMMIT).toBe("dev");
  });
});
