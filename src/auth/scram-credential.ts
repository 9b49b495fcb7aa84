import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { StreamNestError } from "../lib/errors.ts";

/**
 * SCRAM credentials as Kafka stores them (ScramCredential: salt, StoredKey, ServerKey,
 * iterations; RFC 5802 §3, RFC 7677 for SHA-256). The password itself is never kept: from
 * the stored keys a server can verify a proof but cannot produce one.
 */
export const SCRAM_MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

// Kafka's ScramMechanism minIterations/maxIterations (4096 is RFC 7677's minimum advice).
export const MIN_SCRAM_ITERATIONS = 4096;
export const MAX_SCRAM_ITERATIONS = 16384;
export const DEFAULT_SCRAM_ITERATIONS = 4096;
export const SCRAM_SALT_BYTES = 32;

/** JSON-serializable: byte fields are standard base64, as Kafka prints them. */
export interface ScramCredential {
  readonly mechanism: ScramMechanism;
  readonly salt: string;
  readonly iterations: number;
  readonly storedKey: string;
  readonly serverKey: string;
}

interface HashSpec {
  readonly name: "sha256" | "sha512";
  readonly bytes: number;
}

const HASHES: Record<ScramMechanism, HashSpec> = {
  "SCRAM-SHA-256": { name: "sha256", bytes: 32 },
  "SCRAM-SHA-512": { name: "sha512", bytes: 64 },
};

export function isScramMechanism(value: unknown): value is ScramMechanism {
  return typeof value === "string" && (SCRAM_MECHANISMS as readonly string[]).includes(value);
}

export function hashSpec(mechanism: ScramMechanism): HashSpec {
  return HASHES[mechanism];
}

export function iterationsProblem(iterations: unknown): string | undefined {
  if (typeof iterations !== "number" || !Number.isInteger(iterations)) return "iterations must be an integer";
  if (iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS)
    return `iterations ${iterations} is outside ${MIN_SCRAM_ITERATIONS}..${MAX_SCRAM_ITERATIONS}`;
  return undefined;
}

// Hi() of RFC 5802 §2.2 is PBKDF2 with HMAC-H and dkLen = output size of H.
export function saltedPassword(
  mechanism: ScramMechanism,
  password: string | Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Buffer {
  const { name, bytes } = HASHES[mechanism];
  return pbkdf2Sync(password, salt, iterations, bytes, name);
}

export function hmac(mechanism: ScramMechanism, key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac(HASHES[mechanism].name, key).update(data).digest();
}

export function hash(mechanism: ScramMechanism, data: Uint8Array): Buffer {
  return createHash(HASHES[mechanism].name).update(data).digest();
}

export function clientKeyOf(mechanism: ScramMechanism, salted: Uint8Array): Buffer {
  return hmac(mechanism, salted, "Client Key");
}

export function serverKeyOf(mechanism: ScramMechanism, salted: Uint8Array): Buffer {
  return hmac(mechanism, salted, "Server Key");
}

export interface CreateScramCredentialOptions {
  readonly iterations?: number;
  /** Only tests pass a salt (RFC vectors); otherwise 32 random bytes. */
  readonly salt?: Uint8Array;
}

export function createScramCredential(
  mechanism: ScramMechanism,
  password: string,
  options: CreateScramCredentialOptions = {},
): ScramCredential {
  if (!isScramMechanism(mechanism))
    throw new StreamNestError("INVALID_REQUEST", `unknown SCRAM mechanism "${String(mechanism)}"`);
  if (typeof password !== "string" || password.length === 0)
    throw new StreamNestError("INVALID_REQUEST", "password must be a non-empty string");
  const iterations = options.iterations ?? DEFAULT_SCRAM_ITERATIONS;
  const problem = iterationsProblem(iterations);
  if (problem) throw new StreamNestError("INVALID_REQUEST", problem);
  const salt = options.salt ?? randomBytes(SCRAM_SALT_BYTES);
  const salted = saltedPassword(mechanism, password, salt, iterations);
  return {
    mechanism,
    salt: Buffer.from(salt).toString("base64"),
    iterations,
    storedKey: hash(mechanism, clientKeyOf(mechanism, salted)).toString("base64"),
    serverKey: serverKeyOf(mechanism, salted).toString("base64"),
  };
}

/**
 * Whether `password` produces this credential's StoredKey: how SASL/PLAIN is verified against
 * the same record SCRAM uses. Costs one PBKDF2 run, compared in constant time.
 */
export function passwordMatches(credential: ScramCredential, password: string): boolean {
  const { mechanism } = credential;
  const salted = saltedPassword(mechanism, password, Buffer.from(credential.salt, "base64"), credential.iterations);
  const derived = hash(mechanism, clientKeyOf(mechanism, salted));
  const stored = Buffer.from(credential.storedKey, "base64");
  return stored.length === derived.length && timingSafeEqual(stored, derived);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (RFC 4648 §4, padded): Buffer.from() alone accepts anything. */
export function isStrictBase64(text: string): boolean {
  return BASE64.test(text);
}

/** Shape check of a credential read from JSON (the metadata log, a file). */
export function scramCredentialProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return "SCRAM credential must be an object";
  const c = value as Record<string, unknown>;
  if (!isScramMechanism(c.mechanism)) return `unknown SCRAM mechanism "${String(c.mechanism)}"`;
  const iterationsIssue = iterationsProblem(c.iterations);
  if (iterationsIssue) return iterationsIssue;
  const bytes = HASHES[c.mechanism].bytes;
  for (const field of ["salt", "storedKey", "serverKey"] as const) {
    const v = c[field];
    if (typeof v !== "string" || !isStrictBase64(v)) return `${field} must be base64`;
    const length = Buffer.from(v, "base64").length;
    if (field === "salt" ? length === 0 : length !== bytes)
      return field === "salt" ? "salt is empty" : `${field} must be ${bytes} bytes for ${c.mechanism}`;
  }
  for (const key of Object.keys(c))
    if (!["mechanism", "salt", "iterations", "storedKey", "serverKey"].includes(key))
      return `unknown SCRAM credential field "${key}"`;
  return undefined;
}

/** One credential per mechanism, each with its own salt: what an admin's "set password" stores. */
export function scramCredentialsForPassword(password: string, options: { readonly iterations?: number } = {}): ScramCredential[] {
  return SCRAM_MECHANISMS.map((mechanism) => createScramCredential(mechanism, password, options));
}
