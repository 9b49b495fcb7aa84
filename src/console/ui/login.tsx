import { useEffect, useRef, useState } from "preact/hooks";
import { type ApiFailure, readToken, type WhoAmI, whoAmI, writeToken } from "../api.ts";
import { session } from "../session.ts";
import { useSession } from "./use-session.ts";

/**
 * Shown in place of the current view when the broker asks for a token (401): the
 * address stays, so once a token is accepted the same page loads again. The broker's
 * HTTP API has no route that trades a user's password for a token (passwords are for
 * SASL on the Kafka listener), so the console asks for an API token only: an
 * administrator issues one with `streamnest users token <name>` or
 * POST /admin/users/<name>/tokens.
 */
export function LoginView({ reason, tokenRefused, notice }: { reason: ApiFailure; tokenRefused: boolean; notice: string | null }) {
  const [token, setToken] = useState("");
  const [refused, setRefused] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), []);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const candidate = token.trim();
    if (candidate === "") {
      setRefused({ status: 0, code: "EMPTY", message: "enter a token" });
      return;
    }
    // the broker would call it a malformed header, which says nothing to someone pasting a token
    if (/\s/.test(candidate)) {
      setRefused({ status: 0, code: "MALFORMED", message: "a token has no spaces (it looks like snt_…)" });
      return;
    }
    setBusy(true);
    const answer = await whoAmI(candidate);
    setBusy(false);
    if (!answer.ok) {
      setRefused(answer.error);
      field.current?.select();
      return;
    }
    writeToken(candidate);
    session.loggedIn(shownPrincipal(answer.value));
  };
  return (
    <section class="login" aria-labelledby="login-title">
      <h1 id="login-title">Log in</h1>
      {notice !== null ? <p class="ok" role="status">{notice}</p> : null}
      <p>
        {tokenRefused ? "The token this tab used was refused" : "This cluster requires authentication"} <span class="muted">({reason.message})</span>. Enter
        an API token; the console sends it as{" "}
        <code>Authorization: Bearer …</code> and keeps it for this browser tab only.
      </p>
      <form class="form-row" aria-label="Log in" onSubmit={(e) => void submit(e)}>
        <label class="grow">
          API token
          <input
            ref={field}
            name="login-token"
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={token}
            aria-invalid={refused !== null}
            aria-describedby={refused !== null ? "login-refused" : undefined}
            onInput={(e) => {
              setToken(e.currentTarget.value);
              setRefused(null);
            }}
          />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? "Checking…" : "Log in"}
        </button>
      </form>
      {refused !== null ? (
        <p id="login-refused" class="error" role="alert" data-testid="login-refused">
          {refused.status === 401 ? `This token was refused: ${refused.message}.` : `Could not log in: ${refused.message}.`}
        </p>
      ) : null}
      <p class="muted small">
        An administrator issues tokens with <code>streamnest users token &lt;name&gt;</code> (or <code>POST /admin/users/&lt;name&gt;/tokens</code>).
      </p>
    </section>
  );
}

/** A broker run without --auth=token ignores tokens: say so rather than name the anonymous principal. */
function shownPrincipal(who: WhoAmI): string {
  return who.authentication === "none" ? "tokens not checked" : who.principal;
}

/** Who is logged in, and a way out; nothing while no token is kept. */
export function SessionControls() {
  const state = useSession();
  const token = readToken();
  useEffect(() => {
    if (token === null || state.principal !== null || state.loginNeeded !== null) return;
    const controller = new AbortController();
    void whoAmI(token, controller.signal).then((answer) => {
      if (answer.ok) session.identified(shownPrincipal(answer.value));
    });
    return () => controller.abort();
  }, [token, state.principal, state.loginNeeded, state.epoch]);
  if (token === null || state.loginNeeded !== null) return null;
  const logout = (): void => {
    writeToken("");
    session.loggedOut();
  };
  return (
    <div class="session" data-testid="session">
      <span class="muted">{state.principal ?? "token set"}</span>
      <button type="button" onClick={logout}>
        Log out
      </button>
    </div>
  );
}
