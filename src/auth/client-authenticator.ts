import { StreamNestError } from "../lib/errors.ts";
import type { ApiTokenRecord } from "./api-token.ts";
import { ANONYMOUS, type Principal } from "./principal.ts";
import { VerifiedTokens } from "./verified-tokens.ts";

/**
 * Who a client is, from its `Authorization` header. With authentication off everyone is
 * ANONYMOUS (Kafka's name for it); with tokens on, a request needs `Bearer <token>` of a
 * known, unexpired token (RFC 6750), else UNAUTHORIZED. Tokens are found by id in
 * `lookup`: the bootstrap admin's now, the replicated security state's as it is added.
 * A token verified before skips its hash while its record stands, and a header written the
 * usual way skips its parsing too (verified-tokens.ts).
 */
export type ClientAuthMode = "none" | "token";

export class ClientAuthenticator {
  readonly #verified = new VerifiedTokens();

  constructor(
    readonly mode: ClientAuthMode,
    private readonly lookup: (id: string) => ApiTokenRecord | undefined = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  authenticate(authorization: string | null): Principal {
    if (this.mode === "none") return ANONYMOUS;
    if (authorization === null)
      throw new StreamNestError("UNAUTHORIZED", "this broker needs an API token: send Authorization: Bearer <token>");
    const known = this.#verified.recall(authorization, this.lookup, this.now);
    if (known !== undefined) return known;
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!match) throw new StreamNestError("UNAUTHORIZED", "the Authorization header must be Bearer <token>");
    return this.#verified.verify(match[1] as string, this.lookup, this.now());
  }
}
