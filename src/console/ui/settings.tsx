import { useState } from "preact/hooks";
import { readToken, writeToken } from "../api.ts";
import { session } from "../session.ts";

/** The bearer token the console sends, kept in this tab's sessionStorage only. */
export function SettingsView() {
  const [token, setToken] = useState(readToken() ?? "");
  const [saved, setSaved] = useState(false);
  const submit = (event: Event): void => {
    event.preventDefault();
    writeToken(token);
    session.tokenChanged();
    setSaved(true);
  };
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Access token</h1>
      <p>
        When the cluster requires authentication, the console sends this token as <code>Authorization: Bearer …</code> with every request.
        It is kept for this browser tab only and forgotten when the tab closes.
      </p>
      <form class="form-row" onSubmit={submit}>
        <label class="grow">
          Token
          <input name="token" type="password" autoComplete="off" value={token} onInput={(e) => { setToken(e.currentTarget.value); setSaved(false); }} />
        </label>
        <button type="submit">Save</button>
        <button type="button" onClick={() => { setToken(""); writeToken(""); session.tokenChanged(); setSaved(true); }}>
          Clear
        </button>
      </form>
      {saved ? <p class="ok" role="status">{readToken() === null ? "No token: requests are sent without one." : "Saved: requests now carry the token."}</p> : null}
    </section>
  );
}
