import { type ApiTokenRecord, tokenId, verifyApiToken } from "./api-token.ts";
import type { Principal } from "./principal.ts";

/** How many tokens are remembered at once; the oldest verified is forgotten first. */
export const VERIFIED_TOKENS_MAX = 1024;

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
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
