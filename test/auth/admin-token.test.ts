import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_PRINCIPAL, loadOrCreateAdminToken } from "../../src/auth/admin-token.ts";
import { verifyApiToken } from "../../src/auth/api-token.ts";

const root = mkdtempSync(join(tmpdir(), "streamnest-admin-token-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the bootstrap admin token", () => {
  test("is created once, owner-only, and read back the same by every later start", () => {
    const file = join(root, "admin-token");
    const first = loadOrCreateAdminToken(file);
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readFileSync(file, "utf8").trim();
    expect(verifyApiToken(token, (id) => (id === first.record.id ? first.record : undefined), Date.now())).toBe(ADMIN_PRINCIPAL);
    const again = loadOrCreateAdminToken(file);
    expect(again).toEqual({ record: first.record, created: false });
    expect(readFileSync(file, "utf8").trim()).toBe(token);
  });

  test("a file without a token, or a folder that does not exist, is one clear error", () => {
    const bad = join(root, "bad");
    writeFileSync(bad, "hunter2\n");
    expect(() => loadOrCreateAdminToken(bad)).toThrow(`the admin token file ${bad} holds no API token (snt_<16 hex>_<43 base64url>)`);
    expect(() => loadOrCreateAdminToken(join(root, "missing", "admin-token"))).toThrow(`cannot use the admin token file ${join(root, "missing", "admin-token")} (ENOENT)`);
  });
});
