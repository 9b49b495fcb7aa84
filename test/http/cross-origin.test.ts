import { describe, expect, test } from "bun:test";
import { crossOriginProblem, isSafeMethod } from "../../src/http/cross-origin.ts";

/** The decision alone (cross-origin.ts): which requests a browser was made to send from another origin are refused. */

const headers = (h: Record<string, string>) => new Headers(h);

describe("crossOriginProblem", () => {
  test("GET, HEAD and OPTIONS are never refused, whatever they carry", () => {
    for (const method of ["GET", "HEAD", "OPTIONS"]) {
      expect(isSafeMethod(method)).toBe(true);
      expect(crossOriginProblem(method, "http://localhost:8080/topics", headers({ origin: "http://evil.example", "sec-fetch-site": "cross-site" }))).toBeUndefined();
    }
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) expect(isSafeMethod(method)).toBe(false);
  });

  test("a request with neither Origin nor Sec-Fetch-Site (curl, the CLI, client libraries, peers) passes", () => {
    expect(crossOriginProblem("POST", "http://localhost:8080/create-topic", headers({ "content-type": "text/plain" }))).toBeUndefined();
    expect(crossOriginProblem("DELETE", "http://x/topics/t", headers({}))).toBeUndefined();
  });

  test("the page's own origin passes: same scheme, host and port (default ports left out on either side)", () => {
    expect(crossOriginProblem("POST", "http://localhost:8080/produce", headers({ origin: "http://localhost:8080", "sec-fetch-site": "same-origin" }))).toBeUndefined();
    expect(crossOriginProblem("POST", "http://127.0.0.1:8080/produce", headers({ origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080" }))).toBeUndefined();
    expect(crossOriginProblem("POST", "http://broker/produce", headers({ origin: "http://broker", host: "broker:80" }))).toBeUndefined();
    expect(crossOriginProblem("POST", "https://broker.example/produce", headers({ origin: "https://Broker.Example:443" }))).toBeUndefined();
    expect(crossOriginProblem("POST", "http://[::1]:8080/produce", headers({ origin: "http://[::1]:8080" }))).toBeUndefined();
  });

  test("the Host header is the request's own host, not the URL's (the app may route again with a placeholder host)", () => {
    expect(crossOriginProblem("POST", "http://streamnest.invalid/produce", headers({ origin: "http://db:8080", host: "db:8080" }))).toBeUndefined();
    expect(crossOriginProblem("POST", "http://localhost:8080/produce", headers({ origin: "http://localhost:8080", host: "evil.example:8080" }))).toBe(
      "cross-origin request refused: Origin http://localhost:8080 is not this broker's origin (http://evil.example:8080)",
    );
  });

  test("another host, port or scheme in Origin is refused, naming the Origin and the broker's origin", () => {
    expect(crossOriginProblem("POST", "http://localhost:8080/create-topic", headers({ origin: "http://evil.example" }))).toBe(
      "cross-origin request refused: Origin http://evil.example is not this broker's origin (http://localhost:8080)",
    );
    expect(crossOriginProblem("POST", "http://localhost:8080/produce", headers({ origin: "http://localhost:3000" }))).toBe(
      "cross-origin request refused: Origin http://localhost:3000 is not this broker's origin (http://localhost:8080)",
    );
    expect(crossOriginProblem("POST", "http://localhost:8080/produce", headers({ origin: "https://localhost:8080" }))).toBe(
      "cross-origin request refused: Origin https://localhost:8080 is not this broker's origin (http://localhost:8080)",
    );
  });

  test("Origin: null (a sandboxed frame, a file, a redirect) and an Origin that is not one are refused", () => {
    expect(crossOriginProblem("POST", "http://localhost:8080/produce", headers({ origin: "null" }))).toBe(
      "cross-origin request refused: Origin null is not this broker's origin (http://localhost:8080)",
    );
    expect(crossOriginProblem("POST", "http://localhost:8080/produce", headers({ origin: "http://localhost:8080/console" }))).toBe(
      "cross-origin request refused: Origin http://localhost:8080/console is not this broker's origin (http://localhost:8080)",
    );
  });

  test("Sec-Fetch-Site cross-site or same-site is refused even with a matching Origin; same-origin and none pass", () => {
    for (const site of ["cross-site", "same-site"])
      expect(crossOriginProblem("POST", "http://localhost:8080/produce", headers({ origin: "http://localhost:8080", "sec-fetch-site": site }))).toBe(
        `cross-origin request refused: the browser says it comes from another site (Sec-Fetch-Site: ${site})`,
      );
    for (const site of ["same-origin", "none"])
      expect(crossOriginProblem("POST", "http://localhost:8080/produce", headers({ "sec-fetch-site": site }))).toBeUndefined();
  });

  test("behind a proxy that ends TLS, X-Forwarded-Proto is the request's scheme", () => {
    expect(crossOriginProblem("POST", "http://broker.example/produce", headers({ origin: "https://broker.example", "x-forwarded-proto": "https" }))).toBeUndefined();
    expect(crossOriginProblem("POST", "http://broker.example/produce", headers({ origin: "https://broker.example" }))).toBe(
      "cross-origin request refused: Origin https://broker.example is not this broker's origin (http://broker.example)",
    );
  });

  test("a request without a usable Host (HTTP/1.0, none sent) and an Origin is refused", () => {
    expect(crossOriginProblem("POST", "/produce", headers({ origin: "http://localhost:8080" }))).toBe(
      "cross-origin request refused: Origin http://localhost:8080 is not this broker's origin (unknown: no usable Host)",
    );
  });
});
