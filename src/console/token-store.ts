/**
 * Where the console keeps its bearer token: the tab's sessionStorage, so a reload keeps
 * it and closing the tab forgets it. A browser may refuse storage (site data blocked,
 * a sandboxed or opaque-origin frame): merely reading `sessionStorage` then throws a
 * SecurityError, which during the first render left a blank page. Once storage is
 * refused the token lives in this object only (lost on reload), and the page says so.
 */

export type TokenStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

const TOKEN_KEY = "streamnest.console.token";

function cleaned(token: string | null): string | null {
  return token === null || token.trim() === "" ? null : token.trim();
}

export class TokenStore {
  private memory: string | null = null;
  private refusedBy: string | null = null;

  /** `storage` may throw (the browser refusing it) or give undefined (no such API: kept in memory, no notice). */
  constructor(private readonly storage: () => TokenStorage | undefined) {}

  read(): string | null {
    if (this.refusedBy !== null) return this.memory;
    try {
      const storage = this.storage();
      return storage === undefined ? this.memory : cleaned(storage.getItem(TOKEN_KEY));
    } catch (error) {
      this.refuse(error);
      return this.memory;
    }
  }

  /** Kept trimmed; an empty token is removed. */
  write(token: string): void {
    this.memory = cleaned(token);
    if (this.refusedBy !== null) return;
    try {
      const storage = this.storage();
      if (storage === undefined) return;
      if (this.memory === null) storage.removeItem(TOKEN_KEY);
      else storage.setItem(TOKEN_KEY, this.memory);
    } catch (error) {
      // a later read must not answer the storage's older token
      this.refuse(error);
    }
  }

  /** Why the browser refused storage (its error message), or null while it has not. */
  refused(): string | null {
    // a first read is what finds out; harmless when storage works
    this.read();
    return this.refusedBy;
  }

  private refuse(error: unknown): void {
    this.refusedBy = error instanceof Error ? error.message : String(error);
  }
}

/** The page's token: the getter is called each time, as reading sessionStorage itself is what throws. */
export const tabToken = new TokenStore(() => globalThis.sessionStorage);
