import { describe, expect, test } from "bun:test";
import { TokenStore, type TokenStorage } from "../../src/console/token-store.ts";

/** A Storage over a Map: sessionStorage's interface, which Bun does not have. */
function memoryStorage(): TokenStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

/** What Chromium throws on reading `sessionStorage` when site data is blocked or the frame is sandboxed. */
const securityError = (): never => {
  throw new DOMException("Access is denied for this document.", "SecurityError");
};

describe("the console's token", () => {
  test("kept trimmed in the tab's storage, and an empty one is removed", () => {
    const storage = memoryStorage();
    const store = new TokenStore(() => storage);
    expect(store.read()).toBeNull();
    store.write("  t0k3n ");
    expect(store.read()).toBe("t0k3n");
    expect([...storage.map.entries()]).toEqual([["streamnest.console.token", "t0k3n"]]);
    // another store over the same storage: what a reload sees
    expect(new TokenStore(() => storage).read()).toBe("t0k3n");
    store.write("   ");
    expect(store.read()).toBeNull();
    expect(storage.map.size).toBe(0);
    expect(store.refused()).toBeNull();
  });

  test("without a storage API it is kept in memory, with no notice", () => {
    const store = new TokenStore(() => undefined);
    expect(store.read()).toBeNull();
    store.write(" abc ");
    expect(store.read()).toBe("abc");
    expect(store.refused()).toBeNull();
  });

  test("storage that throws on access: nothing throws, the token lives in memory, and the refusal is told", () => {
    const store = new TokenStore(securityError);
    expect(store.refused()).toBe("Access is denied for this document.");
    expect(store.read()).toBeNull();
    store.write("snt_1");
    expect(store.read()).toBe("snt_1");
    store.write("");
    expect(store.read()).toBeNull();
  });

  test("storage that refuses a write (quota, or refused later): the new token wins over the stored one", () => {
    const storage = memoryStorage();
    storage.map.set("streamnest.console.token", "old");
    const store = new TokenStore(() => ({ ...storage, setItem: securityError }));
    expect(store.read()).toBe("old");
    store.write("new");
    expect(store.read()).toBe("new");
    expect(store.refused()).toBe("Access is denied for this document.");
  });
});
