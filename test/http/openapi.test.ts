import { afterAll, beforeAll, expect, test } from "bun:test";
import swaggerUiPackage from "swagger-ui-dist/package.json" with { type: "json" };
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeAll(async () => {
  f = await appFixture();
});
afterAll(async () => {
  await f.close();
});

/** Every src/href of the page, in order. */
function references(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
}

test("/swagger is a Swagger UI page that loads nothing from another origin", async () => {
  const res = await f.request("GET", "/swagger");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const html = await res.text();
  expect(html).toContain('<div id="swagger-ui"></div>');
  expect(html).not.toMatch(/https?:\/\//);
  expect(html).not.toContain("//cdn");
  const assets = `/swagger/assets/${swaggerUiPackage.version}`;
  expect(references(html)).toEqual([
    `${assets}/swagger-ui.css`,
    `${assets}/favicon-32x32.png`,
    `${assets}/swagger-ui-bundle.js`,
    `${assets}/swagger-initializer.js`,
  ]);
});

test("every asset the page references is served with its content type", async () => {
  const html = await (await f.request("GET", "/swagger")).text();
  const expected: Record<string, string> = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-initializer.js": "text/javascript; charset=utf-8",
  };
  for (const url of references(html)) {
    const res = await f.request("GET", url);
    expect(res.status).toBe(200);
    const name = url.slice(url.lastIndexOf("/") + 1);
    expect(res.headers.get("content-type")).toBe(expected[name]);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.length).toBeGreaterThan(0);
    if (name === "favicon-32x32.png") expect([...body.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  }
  const bundle = await (await f.request("GET", `/swagger/assets/${swaggerUiPackage.version}/swagger-ui-bundle.js`)).text();
  expect(bundle).toContain("SwaggerUIBundle");
  const init = await (await f.request("GET", `/swagger/assets/${swaggerUiPackage.version}/swagger-initializer.js`)).text();
  // the spec this broker generates, and no call to the online validator
  expect(init).toContain('url: "/swagger/json"');
  expect(init).toContain("validatorUrl: null");
});

test("unknown assets and other versions are a JSON 404", async () => {
  for (const path of [
    `/swagger/assets/${swaggerUiPackage.version}/index.html`,
    `/swagger/assets/${swaggerUiPackage.version}/toString`,
    `/swagger/assets/${swaggerUiPackage.version}/__proto__`,
    "/swagger/assets/0.0.1/swagger-ui-bundle.js",
  ]) {
    const res = await f.request("GET", path);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "NOT_FOUND", message: `no route GET ${path}` });
  }
});

test("the spec is generated from the routes and leaves out the page and its assets", async () => {
  const res = await f.request("GET", "/swagger/json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  const doc = (await res.json()) as { openapi: string; info: { title: string }; paths: Record<string, unknown> };
  expect(doc.openapi).toBe("3.0.3");
  expect(doc.info.title).toBe("StreamNest");
  const paths = Object.keys(doc.paths);
  expect(paths).toEqual(expect.arrayContaining(["/produce", "/consume", "/create-topic", "/metadata", "/health"]));
  expect(paths.filter((p) => p.startsWith("/swagger"))).toEqual([]);
});
