import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { StreamNestError } from "../lib/errors.ts";
import type { Principal } from "./principal.ts";

/**
 * API tokens for `Authorization: Bearer`. A token is `snt_<id>_<secret>`: the id (public, 64
 * random bits) finds the record and names the token for revocation; the secret is 256 random
 * bits, shown once at creation. Only SHA-256 of the whole token is stored: with that much
 * entropy a fast hash suffices (no guessing attack can enumerate 2^256), unlike passwords.
 */
export const TOKEN_PREFIX = "snt_";
const ID_PATTERN = /^[0-9a-f]{16}$/;
const TOKEN_PATTERN = /^snt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** Where a well-formed token's id lies in it, and its whole length (TOKEN_PATTERN's parts). */
export const TOKEN_ID_START = TOKEN_PREFIX.length;
export const TOKEN_ID_END = TOKEN_ID_START + 16;
export const TOKEN_LENGTH = TOKEN_ID_END + 1 + 43;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** JSON-serializable; lives in the replicated security state. Times are epoch ms. */
export interface ApiTokenRecord {
  readonly id: string;
  readonly principal: Principal;
  readonly sha256: string;
  readonly createdAt: number;
  readonly expiresAt?: number;
  readonly description?: string;
}

export interface IssuedApiToken {
  /** The full token: give it to the user once, never store it. */
  readonly token: string;
  readonly record: ApiTokenRecord;
}

export interface IssueApiTokenOptions {
  readonly now: number;
  /** Lifetime in ms; absent means the token lives until revoked. */
  readonly ttlMs?: number;
  readonly description?: string;
}

export function tokenSha256(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function issueApiToken(principal: Principal, options: IssueApiTokenOptions): IssuedApiToken {
  if (options.ttlMs !== undefined && (!Number.isSafeInteger(options.ttlMs) || options.ttlMs <= 0))
    throw new StreamNestError("INVALID_REQUEST", `token lifetime must be a positive number of ms, got ${options.ttlMs}`);
  const id = randomBytes(8).toString("hex");
  const token = `${TOKEN_PREFIX}${id}_${randomBytes(32).toString("base64url")}`;
  const record: ApiTokenRecord = {
    id,
    principal,
    sha256: tokenSha256(token),
    createdAt: options.now,
    ...(options.ttlMs === undefined ? {} : { expiresAt: options.now + options.ttlMs }),
    ...(options.description === undefined ? {} : { description: options.description }),
  };
  return { token, record };
}

/** The id of a well-formed token, or undefined; the secret part is not inspected. */
export function tokenId(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}

// Compared against when the id is unknown, so both paths hash and compare alike.
const ABSENT_HASH = Buffer.alloc(32);

const INVALID = "invalid API token";

/**
 * Returns the token's principal, or throws UNAUTHORIZED. Unknown, malformed, revoked and wrong
 * tokens get one message; an expired one says so (only a holder of the real token learns it).
 */
export function verifyApiToken(
  token: string,
  lookup: (id: string) => ApiTokenRecord | undefined,
  now: number,
): Principal {
  const id = typeof token === "string" ? tokenId(token) : undefined;
  const record = id === undefined ? undefined : lookup(id);
  const presented = createHash("sha256").update(typeof token === "string" ? token : "", "utf8").digest();
  const expected = record ? Buffer.from(record.sha256, "hex") : ABSENT_HASH;
  const equal = expected.length === presented.length && timingSafeEqual(expected, presented);
  if (!record || !equal) throw new StreamNestError("UNAUTHORIZED", INVALID);
  if (record.expiresAt !== undefined && now >= record.expiresAt)
    throw new StreamNestError("UNAUTHORIZED", `API token ${record.id} expired at ${new Date(record.expiresAt).toISOString()}`);
  return record.principal;
}

/** Shape check of a record read from JSON; the principal is checked by the caller. */
export function apiTokenRecordProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return "token record must be an object";
  const r = value as Record<string, unknown>;
  if (typeof r.id !== "string" || !ID_PATTERN.test(r.id)) return "token id must be 16 lowercase hex digits";
  if (typeof r.sha256 !== "string" || !HASH_PATTERN.test(r.sha256)) return "token sha256 must be 64 lowercase hex digits";
  if (typeof r.principal !== "string") return "token principal must be a string";
  if (!Number.isSafeInteger(r.createdAt) || (r.createdAt as number) < 0) return "token createdAt must be epoch ms";
  if (r.expiresAt !== undefined && (!Number.isSafeInteger(r.expiresAt) || (r.expiresAt as number) <= (r.createdAt as number)))
    return "token expiresAt must be epoch ms after createdAt";
  if (r.description !== undefined && (typeof r.description !== "string" || r.description.length > 256))
    return "token description must be a string of at most 256 characters";
  for (const key of Object.keys(r))
    if (!["id", "principal", "sha256", "createdAt", "expiresAt", "description"].includes(key))
      return `unknown token record field "${key}"`;
  return undefined;
}
