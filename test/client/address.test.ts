import { describe, expect, test } from "bun:test";
import { displayAddress, parseBrokerAddresses } from "../../src/client/address.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

describe("parseBrokerAddresses", () => {
  test("host:port, lists and URLs become base URLs", () => {
    expect(parseBrokerAddresses("localhost:8080")).toEqual(["http://localhost:8080"]);
    expect(parseBrokerAddresses(" a:1 , b:2 ")).toEqual(["http://a:1", "http://b:2"]);
    expect(parseBrokerAddresses(["127.0.0.1:9", "https://x.example:443/base/"])).toEqual([
      "http://127.0.0.1:9",
      "https://x.example/base",
    ]);
    expect(parseBrokerAddresses("[::1]:8080")).toEqual(["http://[::1]:8080"]);
  });

  test("a trailing slash, as copied from a browser's address bar, changes nothing", () => {
    expect(parseBrokerAddresses("localhost:8080/")).toEqual(["http://localhost:8080"]);
    expect(parseBrokerAddresses("[::1]:8080/,b:2/")).toEqual(["http://[::1]:8080", "http://b:2"]);
  });

  test("an address without a port or with a foreign scheme is refused with a clear message", () => {
    for (const [input, text] of [
      ["localhost", '"localhost" is not a broker address (expected host:port)'],
      ["", "no broker address given (expected host:port)"],
      ["ftp://x:1", '"ftp://x:1" is not an http address (expected host:port)'],
      ["host:port", '"host:port" is not a broker address (expected host:port)'],
      ["localhost:99999", '"localhost:99999": the port must be from 1 to 65535'],
      ["localhost:0", '"localhost:0": the port must be from 1 to 65535'],
      [":8080", '":8080" is not a broker address (expected host:port)'],
      ["localhost:8080//", '"localhost:8080//" is not a broker address (expected host:port)'],
    ] as const) {
      let caught: unknown;
      try {
        parseBrokerAddresses(input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(StreamNestError);
      expect((caught as StreamNestError).code).toBe("INVALID_REQUEST");
      expect((caught as StreamNestError).message).toBe(text);
    }
  });

  test("displayAddress gives back what a user types", () => {
    expect(displayAddress("http://localhost:8080")).toBe("localhost:8080");
    expect(displayAddress("https://x.example")).toBe("https://x.example");
  });
});

describe("parseBrokerAddresses for a client set up for TLS", () => {
  test("host:port means https://; a written scheme is kept", () => {
    expect(parseBrokerAddresses("localhost:8443,[::1]:9443", "https")).toEqual(["https://localhost:8443", "https://[::1]:9443"]);
    expect(parseBrokerAddresses("http://localhost:8080", "https")).toEqual(["http://localhost:8080"]);
    expect(parseBrokerAddresses("https://localhost:8443")).toEqual(["https://localhost:8443"]);
  });
});
