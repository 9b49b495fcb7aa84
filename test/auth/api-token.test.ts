import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { StreamNestError } from "../../src/lib/errors.ts";
import {
  type ApiTokenRecord,
  apiTokenRecordProblem,
  issueApiToken,
  tokenId,
  verifyApiToken,
} from "../../src/auth/api-token.ts";

const NOW = 1_800_000_000_000;

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof StreamNestError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a StreamNestError");
}

function store(...records: ApiTokenRecord[]): (id: string) => ApiTokenRecord | undefined {
  const byId = new Map(records.map((r) => [r.id, r]));
  return (id) => byId.get(id);
}

describe("API tokens", () => {
  test("issued token has the snt_<id>_<secret> form; the record keeps only its SHA-256", () => {
    const { token, record } = issueApiToken("User:alice", { now: NOW, description: "ci" });
    expect(token).toMatch(/^snt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(tokenId(token)).toBe(record.id);
    expect(record).toEqual({
      id: record.id,
      principal: "User:alice",
      sha256: createHash("sha256").update(token).digest("hex"),
      createdAt: NOW,
      description: "ci",
    });
    expect(JSON.stringify(record)).not.toContain(token.slice(21));
    expect(apiTokenRecordProblem(record)).toBeUndefined();
  });

  test("two tokens never share id or secret", () => {
    const a = issueApiToken("User:a", { now: NOW });
    const b = issueApiToken("User:a", { now: NOW });
    expect(a.record.id).not.toBe(b.record.id);
    expect(a.token.slice(21)).not.toBe(b.token.slice(21));
  });

  test("a valid token yields its principal", () => {
    const { token, record } = issueApiToken("User:alice", { now: NOW, ttlMs: 60_000 });
    expect(record.expiresAt).toBe(NOW + 60_000);
    expect(verifyApiToken(token, store(record), NOW + 59_999)).toBe("User:alice");
  });

  test("expired token is refused saying so; at the exact expiry instant too", () => {
    const { token, record } = issueApiToken("User:alice", { now: NOW, ttlMs: 1000 });
    const expected = { code: "UNAUTHORIZED", message: `API token ${record.id} expired at ${new Date(NOW + 1000).toISOString()}` };
    expect(refusal(() => verifyApiToken(token, store(record), NOW + 1000))).toEqual(expected);
    expect(refusal(() => verifyApiToken(token, store(record), NOW + 5000))).toEqual(expected);
  });

  test("wrong secret, unknown id, revoked, malformed: one message", () => {
    const { token, record } = issueApiToken("User:alice", { now: NOW });
    const lastChar = token.at(-1) === "A" ? "B" : "A";
    const tampered = token.slice(0, -1) + lastChar;
    const invalid = { code: "UNAUTHORIZED", message: "invalid API token" };
    expect(refusal(() => verifyApiToken(tampered, store(record), NOW))).toEqual(invalid);
    expect(refusal(() => verifyApiToken(token, store(), NOW))).toEqual(invalid); // revoked: gone from the store
    expect(refusal(() => verifyApiToken("snt_zz_x", store(record), NOW))).toEqual(invalid);
    expect(refusal(() => verifyApiToken("", store(record), NOW))).toEqual(invalid);
    expect(refusal(() => verifyApiToken(`${token} `, store(record), NOW))).toEqual(invalid);
    // A record whose hash matches another token's id but not its secret.
    const other = issueApiToken("User:bob", { now: NOW });
    const swapped = `snt_${record.id}_${other.token.slice(21)}`;
    expect(refusal(() => verifyApiToken(swapped, store(record, other.record), NOW))).toEqual(invalid);
  });

  test("lifetime must be positive", () => {
    expect(refusal(() => issueApiToken("User:a", { now: NOW, ttlMs: 0 }))).toEqual({
      code: "INVALID_REQUEST",
      message: "token lifetime must be a positive number of ms, got 0",
    });
  });

  test("record shape check names the problem", () => {
    const { record } = issueApiToken("User:a", { now: NOW, ttlMs: 10 });
    expect(apiTokenRecordProblem({ ...record, id: "XYZ" })).toBe("token id must be 16 lowercase hex digits");
    expect(apiTokenRecordProblem({ ...record, sha256: "00" })).toBe("token sha256 must be 64 lowercase hex digits");
    expect(apiTokenRecordProblem({ ...record, expiresAt: NOW })).toBe("token expiresAt must be epoch ms after createdAt");
    expect(apiTokenRecordProblem({ ...record, createdAt: -1 })).toBe("token createdAt must be epoch ms");
    expect(apiTokenRecordProblem({ ...record, token: "snt_..." })).toBe('unknown token record field "token"');
    expect(apiTokenRecordProblem("x")).toBe("token record must be an object");
  });
});
