import { describe, expect, test } from "bun:test";
import { boundAddress, hostCheck, isLoopbackAddress, isLoopbackName, isLoopbackOnly } from "../../src/http/host-check.ts";

/** The decision alone (host-check.ts): which Host a broker listening on loopback only refuses (DNS rebinding). */

const refusal = (authority: string, bind = "127.0.0.1") =>
  `request refused: Host ${authority} is not a name of this broker, which listens on ${bind} only (a page of another site may have pointed its name at this machine: DNS rebinding); reach it as localhost or 127.0.0.1, or listen on another interface with --host`;

describe("isLoopbackOnly", () => {
  test("127.0.0.0/8, ::1 and localhost bind loopback only; wildcards and other addresses do not", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]) expect(`${host} ${isLoopbackOnly(host)}`).toBe(`${host} true`);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "broker.internal", ""]) expect(`${host} ${isLoopbackOnly(host)}`).toBe(`${host} false`);
  });

  test("loopback names: localhost, *.localhost, 127.0.0.0/8, [::1]", () => {
    for (const host of ["localhost", "app.localhost", "127.0.0.1", "127.255.0.9", "[::1]"]) expect(`${host} ${isLoopbackName(host)}`).toBe(`${host} true`);
    for (const host of ["evil.example", "localhost.evil.example", "127.0.0.1.evil.example", "128.0.0.1", "[::2]", "notlocalhost"])
      expect(`${host} ${isLoopbackName(host)}`).toBe(`${host} false`);
  });
});

describe("loopback in any spelling, and by the address bound", () => {
  test("an IP address is loopback however it is written (127.1, 0x7f.1, 0:0:0:0:0:0:0:1)", () => {
    for (const host of ["127.1", "0x7f.1", "2130706433", "127.000.000.001", "0:0:0:0:0:0:0:1", "[0:0:0:0:0:0:0:1]"])
      expect(`${host} ${isLoopbackOnly(host)}`).toBe(`${host} true`);
    for (const host of ["0", "0.0.0.0", "0:0:0:0:0:0:0:0", "10.1"]) expect(`${host} ${isLoopbackOnly(host)}`).toBe(`${host} false`);
  });

  test("bound addresses: 127.0.0.0/8, ::1 and IPv4-mapped 127.x are loopback; wildcards are not", () => {
    for (const a of ["127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1"]) expect(`${a} ${isLoopbackAddress(a)}`).toBe(`${a} true`);
    for (const a of ["0.0.0.0", "::", "10.0.0.5", "::ffff:10.0.0.5", ""]) expect(`${a} ${isLoopbackAddress(a)}`).toBe(`${a} false`);
  });

  test("a --host that is a name is checked when the socket it bound is loopback (Debian's 127.0.1.1 for the machine's name), not otherwise", () => {
    const onLoopback = hostCheck("vm", [], () => "127.0.1.1");
    if (onLoopback === undefined) throw new Error("expected a check");
    expect(onLoopback("http://vm:8080/produce")).toBeUndefined();
    expect(onLoopback("http://localhost:8080/produce")).toBeUndefined();
    expect(onLoopback("http://rebind.evil.example:8080/list-topics")).toBe(refusal("rebind.evil.example:8080", "vm"));
    const elsewhere = hostCheck("broker.lan", [], () => "10.0.0.5");
    expect(elsewhere?.("http://anything.example:8080/produce")).toBeUndefined();
  });

  test("a real server's bound address is read from it", () => {
    const server = Bun.serve({ hostname: "127.1", port: 0, fetch: () => new Response("x") });
    try {
      expect(boundAddress(server)).toBe("127.0.0.1");
    } finally {
      server.stop(true);
    }
    expect(boundAddress(undefined)).toBeUndefined();
  });
});

describe("beyond loopback, a broker without client authentication (namesBeyondLoopback)", () => {
  const refusedName = (authority: string) =>
    `request refused: Host ${authority} is not a name of this broker, which authenticates no client (--auth=none), so a page of another site that pointed this name at it could read and write it (DNS rebinding); reach it by its IP address or localhost, list the name in --allowed-hosts, or turn on --auth=token`;

  test("IP addresses, loopback names and its own names pass; any other name is refused", () => {
    const check = hostCheck("0.0.0.0", ["broker-1:8080", "devbox"], () => "0.0.0.0", true);
    if (check === undefined) throw new Error("expected a check");
    for (const url of ["http://10.0.0.5:8080/produce", "http://[fd00::5]:8080/produce", "http://localhost:8080/x", "http://broker-1:8080/x", "http://devbox:8080/x", "http://DEVBOX.:8080/x"])
      expect(`${url} ${check(url)}`).toBe(`${url} undefined`);
    expect(check("http://rebind.evil.example:8080/list-topics")).toBe(refusedName("rebind.evil.example:8080"));
    expect(check("http://broker-2:8080/list-topics")).toBe(refusedName("broker-2:8080"));
  });

  test("without it (--auth=token, or --allowed-hosts=*), a broker beyond loopback checks no name", () => {
    expect(hostCheck("0.0.0.0", [], () => "0.0.0.0", false)?.("http://anything.example/x")).toBeUndefined();
  });
});

describe("hostCheck", () => {
  test("a broker listening beyond loopback checks nothing", () => {
    expect(hostCheck("0.0.0.0", ["localhost:8080"])).toBeUndefined();
    expect(hostCheck("10.0.0.5", [])).toBeUndefined();
  });

  test("on loopback only, loopback names and addresses pass, with or without a port", () => {
    const check = hostCheck("127.0.0.1", ["localhost:8080"]);
    if (check === undefined) throw new Error("expected a check");
    for (const url of [
      "http://localhost:8080/consume?topic=t&partition=0&offset=0",
      "http://localhost/produce",
      "http://127.0.0.1:8080/produce",
      "http://127.0.0.2:8080/produce",
      "http://console.localhost:8080/console",
      "http://[::1]:8080/health",
      "https://localhost.:8080/health",
    ])
      expect(`${url} ${check(url)}`).toBe(`${url} undefined`);
  });

  test("on loopback only, another Host is refused, naming it and saying how to reach the broker, every time", () => {
    const check = hostCheck("127.0.0.1", ["localhost:8080"]);
    if (check === undefined) throw new Error("expected a check");
    expect(check("http://evil.example:8080/consume?topic=t&partition=0&offset=0")).toBe(refusal("evil.example:8080"));
    // The accepted authority is remembered; a refused one is not.
    expect(check("http://localhost:8080/produce")).toBeUndefined();
    expect(check("http://evil.example/produce")).toBe(refusal("evil.example"));
    expect(check("http://evil.example/produce")).toBe(refusal("evil.example"));
    expect(check("http://192.168.1.20:8080/topics")).toBe(refusal("192.168.1.20:8080"));
    expect(check("http://localhost.evil.example:8080/topics")).toBe(refusal("localhost.evil.example:8080"));
  });

  test("the broker's own --host and advertised host pass", () => {
    const check = hostCheck("::1", ["broker-1.test:9000"]);
    if (check === undefined) throw new Error("expected a check");
    expect(check("http://broker-1.test:9000/produce")).toBeUndefined();
    expect(check("http://[::1]:9000/produce")).toBeUndefined();
    expect(check("http://broker-2.test:9000/produce")).toBe(refusal("broker-2.test:9000", "::1"));
    const named = hostCheck("localhost", []);
    expect(named?.("http://localhost:1/x")).toBeUndefined();
  });

  test("a URL without a host (Bun's, for a request that sent no usable Host) passes: browsers always send one", () => {
    expect(hostCheck("127.0.0.1", [])?.("/produce")).toBeUndefined();
  });
});
