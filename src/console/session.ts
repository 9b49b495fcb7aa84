import type { ApiFailure } from "./api.ts";

/**
 * The console's login state. A 401 from the broker (no token, or one it refuses) puts
 * the page in "login needed": the app shows the login view in place of the current
 * view, at the same address, so that once a token is accepted the user is back on the
 * page they were on (and a shared link works after logging in). Each login and logout
 * starts a new epoch, which the app uses to load every view again with the new token.
 */

export interface SessionState {
  /** The 401 that asked for a token, while no accepted token replaced it; null otherwise. */
  loginNeeded: ApiFailure | null;
  /** Whether that 401 refused a token the tab had (revoked, expired) rather than asking for one. */
  tokenRefused: boolean;
  /** Who the current token belongs to (e.g. `User:alice`), once the broker said. */
  principal: string | null;
  /** A line for the login view (e.g. after logging out). */
  notice: string | null;
  epoch: number;
}

type Listener = (state: SessionState) => void;

export class Session {
  private state: SessionState = { loginNeeded: null, tokenRefused: false, principal: null, notice: null, epoch: 0 };
  private readonly listeners = new Set<Listener>();

  get(): SessionState {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A 401 for a request sent with `sentToken`. One sent with a token that is no longer
   * the current one (an answer still on its way when the user logged in) asks for nothing.
   */
  unauthorized(failure: ApiFailure, sentToken: string | null, currentToken: string | null): void {
    if (sentToken !== currentToken || this.state.loginNeeded !== null) return;
    this.set({ ...this.state, loginNeeded: failure, tokenRefused: sentToken !== null, principal: null });
  }

  loggedIn(principal: string | null): void {
    this.set({ loginNeeded: null, tokenRefused: false, principal, notice: null, epoch: this.state.epoch + 1 });
  }

  /** The principal of the token in use, learnt after the page (re)loaded with one. */
  identified(principal: string): void {
    if (this.state.principal !== principal) this.set({ ...this.state, principal });
  }

  /** The token was set or cleared by hand (the Token page): who it belongs to is to be asked again. */
  tokenChanged(): void {
    this.set({ ...this.state, principal: null });
  }

  loggedOut(): void {
    this.set({ loginNeeded: null, tokenRefused: false, principal: null, notice: "Logged out: the token is forgotten in this tab.", epoch: this.state.epoch + 1 });
  }

  private set(next: SessionState): void {
    this.state = next;
    for (const listener of this.listeners) listener(next);
  }
}

/** The page's one session. */
export const session = new Session();
