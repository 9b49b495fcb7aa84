import { describe, expect, test } from "bun:test";
import { isPublicPath, isPublicRequest } from "../../src/http/client-auth.ts";

describe("isPublicRequest", () => {
  test("the open paths, with or without a query, on http and https", () => {
    for (const url of [
      "http://localhost:9092/health",
      "https://broker-1:443/health?verbose=1",
      "http://127.0.0.1:1/swagger",
      "http://127.0.0.1:1/swagger/json",
      "http://127.0.0.1:1/console",
      "http://127.0.0.1:1/console/app.js",
      "http://127.0.0.1:1/internal/heartbeat",
    ])
      expect(`${url} ${isPublicRequest(url)}`).toBe(`${url} true`);
  });

  test("every other path is authenticated, as is one that looks public only as sent or only once parsed", () => {
    for (const url of [
      "http://localhost:9092/produce",
      "https://localhost:9092/consume?topic=health",
      "http://localhost:9092/healthz",
      "http://localhost:9092/produce/../health",
      "http://localhost:9092/health/../produce",
      "http://localhost:9092/internal/../produce",
      "http://localhost:9092/console/../admin/users",
      "http://localhost:9092/%2e%2e/health",
    ])
      expect(`${url} ${isPublicRequest(url)}`).toBe(`${url} false`);
  });

  test("it agrees with isPublicPath on plain paths", () => {
    for (const path of ["/health", "/produce", "/swagger", "/internal/stats", "/admin/acls", "/"])
      expect(isPublicRequest(`http://h:1${path}`)).toBe(isPublicPath(path));
  });
});
