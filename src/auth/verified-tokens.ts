import { type ApiTokenRecord, TOKEN_ID_END, TOKEN_ID_START, TOKEN_LENGTH, TOKEN_PREFIX, tokenId, verifyApiToken } from "./api-token.ts";
import type { Principal } from "./principal.ts";

/** How many tokens are remembered at once; the oldest verified is forgotten first. */
export const VERIFIED_TOKENS_MAX = 1024;

/** `Authorization: Bearer <token>` as clients send it (RFC 6750 §2.1), one space, the scheme so spelled. */
const BEARER = "Bearer ";
const BEARER_TOKEN = `${BEARER}${TOKEN_PREFIX}`;
const HEADER_LENGTH = BEARER.length + TOKEN_LENGTH;

interface Verified {
  readonly token: string;
  readonly record: ApiTokenRecord;
}

/**
 * verifyApiToken with the hash skipped for a token seen before: a client sends the same
 * token on every request, and SHA-256 of it (with the hex decode and the comparison) was
 * the larger part of what authentication cost per request.
 *
 * Nothing here can outlive a change of the security state: an entry remembers the very
 * record object the token was verified against, and is used only while `lookup` still
 * returns that same object. Revoking the token, deleting its user (which drops the user's
 * tokens) or replacing the state from a snapshot gives `lookup` another answer (none, or a
 * new object), so the next request is verified from scratch, or refused, at once; there
 * is nothing to invalidate. Expiry is checked on every call. The presented token must
 * equal the remembered one in full, compared in constant time, as the hash comparison is.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, Verified>();

  constructor(private readonly max = VERIFIED_TOKENS_MAX) {}

  /** The token's principal, or throws UNAUTHORIZED as verifyApiToken does. */
  verify(token: string, lookup: (id: string) => ApiTokenRecord | undefined, now: number): Principal {
    const id = tokenId(token);
    const record = id === undefined ? undefined : lookup(id);
    const seen = id === undefined ? undefined : this.#entries.get(id);
    if (seen !== undefined && record !== undefined && seen.record === record && sameText(seen.token, token)) {
      if (record.expiresAt === undefined || now < record.expiresAt) return record.principal;
    }
    if (id !== undefined && seen !== undefined) this.#entries.delete(id);
    const principal = verifyApiToken(token, () => record, now);
    if (id !== undefined && record !== undefined) this.#remember(id, { token, record });
    return principal;
  }

  /**
   * The principal of an `Authorization` header written as clients write it (`Bearer ` and a
   * token remembered here), or undefined: the caller then parses the header and verifies
   * the token in full (verify), which refuses, or remembers it for next time. This is every
   * request of a client after its first, so it takes the token's id from where a token
   * keeps it, without a regular expression or a copy of the token, and reads the clock
   * only for a token that expires. It answers only what verify would (the same record
   * still in force, the whole token equal in constant time, not expired).
   */
  recall(authorization: string, lookup: (id: string) => ApiTokenRecord | undefined, now: () => number): Principal | undefined {
    if (authorization.length !== HEADER_LENGTH || !authorization.startsWith(BEARER_TOKEN)) return undefined;
    const id = authorization.slice(BEARER.length + TOKEN_ID_START, BEARER.length + TOKEN_ID_END);
    const seen = this.#entries.get(id);
    if (seen === undefined) return undefined;
    const record = lookup(id);
    if (record === undefined || record !== seen.record || !sameTextAt(seen.token, authorization, BEARER.length)) return undefined;
    if (record.expiresAt !== undefined && now() >= record.expiresAt) return undefined;
    return record.principal;
  }

  get size(): number {
    return this.#entries.size;
  }

  #remember(id: string, entry: Verified): void {
    this.#entries.set(id, entry);
    if (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }
}

/** Equality of two strings whose time depends on their length only, not on where they differ. */
function sameText(a: string, b: string): boolean {
  return a.length === b.length && sameTextAt(a, b, 0);
}

/** Whether `b` holds `a` from `offset` to its end, in a time that depends on the lengths only. */
function sameTextAt(a: string, b: string, offset: number): boolean {
  if (b.length - offset !== a.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(offset + i);
  return diff === 0;
}
