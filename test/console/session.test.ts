import { describe, expect, test } from "bun:test";
import type { ApiFailure } from "../../src/console/api.ts";
import { Session, type SessionState } from "../../src/console/session.ts";

const refused: ApiFailure = { status: 401, code: "UNAUTHORIZED", message: "invalid API token" };

describe("console session", () => {
  test("a 401 asks for a token once; a login answers it and starts a new epoch", () => {
    const session = new Session();
    const seen: SessionState[] = [];
    session.subscribe((s) => seen.push(s));
    session.unauthorized(refused, null, null);
    session.unauthorized({ ...refused, message: "second" }, null, null);
    expect(seen).toEqual([{ loginNeeded: refused, tokenRefused: false, principal: null, notice: null, epoch: 0 }]);
    session.loggedIn("User:alice");
    expect(session.get()).toEqual({ loginNeeded: null, tokenRefused: false, principal: "User:alice", notice: null, epoch: 1 });
  });

  test("a 401 for a token that is no longer the current one asks for nothing", () => {
    const session = new Session();
    session.loggedIn("User:alice");
    session.unauthorized(refused, null, "snt_new");
    session.unauthorized(refused, "snt_old", null);
    expect(session.get().loginNeeded).toBeNull();
    session.unauthorized(refused, "snt_new", "snt_new");
    expect(session.get().loginNeeded).toEqual(refused);
    expect(session.get().tokenRefused).toBe(true);
    expect(session.get().principal).toBeNull();
  });

  test("logging out forgets the principal, keeps a notice for the login view, and reloads the views", () => {
    const session = new Session();
    session.loggedIn("User:admin");
    session.loggedOut();
    expect(session.get()).toEqual({ loginNeeded: null, tokenRefused: false, principal: null, notice: "Logged out: the token is forgotten in this tab.", epoch: 2 });
    session.unauthorized(refused, null, null);
    expect(session.get().notice).toBe("Logged out: the token is forgotten in this tab.");
    session.loggedIn("User:bob");
    expect(session.get().notice).toBeNull();
  });

  test("identified sets the principal without a new epoch; an unsubscribed listener hears nothing", () => {
    const session = new Session();
    let calls = 0;
    const stop = session.subscribe(() => calls++);
    session.identified("User:carol");
    session.identified("User:carol");
    stop();
    session.identified("User:dave");
    expect(calls).toBe(1);
    expect(session.get()).toEqual({ loginNeeded: null, tokenRefused: false, principal: "User:dave", notice: null, epoch: 0 });
  });

  test("a token set by hand forgets the principal (to be asked again) and tells the listeners", () => {
    const session = new Session();
    session.loggedIn("User:alice");
    let calls = 0;
    session.subscribe(() => calls++);
    session.tokenChanged();
    expect(calls).toBe(1);
    expect(session.get()).toEqual({ loginNeeded: null, tokenRefused: false, principal: null, notice: null, epoch: 1 });
  });
});
