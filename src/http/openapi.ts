import { swagger } from "@elysiajs/swagger";
import { Elysia } from "elysia";
// `type: "file"` makes `bun build --compile` embed these files in the executable (the
// import is then a path inside the binary's own file system), so the page works without
// node_modules and without internet.
import swaggerUiBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import swaggerUiCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import swaggerUiFavicon from "swagger-ui-dist/favicon-32x32.png" with { type: "file" };
import swaggerUiPackage from "swagger-ui-dist/package.json" with { type: "json" };
import { StreamNestError } from "../lib/errors.ts";
import { VERSION } from "../lib/version.ts";
import { ErrorBody } from "./models.ts";
import { type JsonObject, toOpenApi30 } from "./openapi-document.ts";
import { INIT_SCRIPT, openApiPage } from "./openapi-page.ts";

export const OPENAPI_PAGE_PATH = "/swagger";
export const OPENAPI_SPEC_PATH = "/swagger/json";
export const OPENAPI_ASSETS_PATH = "/swagger/assets";

interface Asset {
  contentType: string;
  body: () => Blob | string;
}

// The URLs carry the swagger-ui version so a browser never mixes a cached old bundle with
// a new page after an upgrade; that is what makes a long cache lifetime safe.
const ASSET_VERSION = swaggerUiPackage.version;
const ASSETS: Record<string, Asset> = {
  "swagger-ui-bundle.js": { contentType: "text/javascript; charset=utf-8", body: () => Bun.file(swaggerUiBundle) },
  "swagger-ui.css": { contentType: "text/css; charset=utf-8", body: () => Bun.file(swaggerUiCss) },
  "favicon-32x32.png": { contentType: "image/png", body: () => Bun.file(swaggerUiFavicon) },
  "swagger-initializer.js": { contentType: "text/javascript; charset=utf-8", body: () => INIT_SCRIPT },
};

/**
 * No other site may frame the page: its "Try it out" buttons send same-origin requests,
 * which the cross-origin refusal lets through, so a page framing it invisibly got two
 * clicks to create a user on a broker without --auth (clickjacking, found by a tester).
 */
const NO_FRAMING = {
  "content-security-policy": "frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
} as const;

function assetUrl(name: string): string {
  return `${OPENAPI_ASSETS_PATH}/${ASSET_VERSION}/${name}`;
}

const DESCRIPTION = [
  'A Kafka-inspired message streaming broker over HTTP. Every error is `{"error": CODE, "message": TEXT}`.',
  "Every GET route also answers HEAD (GET's status and headers, no body); a method a path does not answer is " +
    "405 METHOD_NOT_ALLOWED with an `Allow` header naming the methods it does.",
].join("\n\n");

// A route lists the errors its own logic gives; any route may also answer 405, 413 (a
// body over the limit), 500, or 503/504 (a partition leader down), all in this shape.
const OTHER_ERRORS: JsonObject = {
  description: "Any other error, e.g. 405 (wrong method), 413 (body too large), 503 (leader unavailable)",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
};

/**
 * ErrorBody as plain JSON (no TypeBox symbols). Without `additionalProperties`: Elysia
 * sets it to false on a response schema it compiles with `normalize`, and an error may
 * carry more (a failed batch's `results`).
 */
function errorSchema(): JsonObject {
  const { additionalProperties: _, ...schema } = JSON.parse(JSON.stringify(ErrorBody)) as JsonObject;
  return schema;
}

/** The plugin's spec generator: its GET route at `specPath`, a handler that takes no context. */
function specGenerator(plugin: { routes: ReadonlyArray<{ method: string; path: string; handler: unknown }> }): () => JsonObject {
  const route = plugin.routes.find((r) => r.method === "GET" && r.path === OPENAPI_SPEC_PATH);
  const handler: unknown = route?.handler;
  if (typeof handler !== "function") throw new Error(`@elysiajs/swagger registered no GET ${OPENAPI_SPEC_PATH}`);
  return handler as () => JsonObject;
}

/**
 * The OpenAPI spec at /swagger/json and a Swagger UI page at /swagger whose every asset is
 * served by the broker from inside its executable (@elysiajs/swagger's own page loads its
 * UI from a CDN: blank offline).
 */
export function openApiRoutes() {
  // hidden: the page and its assets are not part of the API the spec describes
  const hidden = { detail: { hide: true } };
  // @elysiajs/swagger always registers a page at `path`, one that loads its UI from a
  // CDN. Pointing `path` at the spec path makes the plugin's spec route (registered
  // after its page) replace that page, so the plugin contributes only the spec.
  const plugin = swagger({
    path: OPENAPI_SPEC_PATH,
    specPath: OPENAPI_SPEC_PATH,
    documentation: {
      info: { title: "StreamNest", version: VERSION, description: DESCRIPTION },
      components: { schemas: { Error: errorSchema() } },
    },
  });
  const generate = specGenerator(plugin);
  const openApiDocument = (): JsonObject => toOpenApi30(generate(), OTHER_ERRORS);
  const assets = {
    css: assetUrl("swagger-ui.css"),
    favicon: assetUrl("favicon-32x32.png"),
    bundle: assetUrl("swagger-ui-bundle.js"),
    initializer: assetUrl("swagger-initializer.js"),
  };
  return (
    new Elysia({ name: "streamnest-openapi" })
      .use(plugin)
      // Replaces the plugin's spec route in turn: its document is not valid OpenAPI 3.0
      // (see openapi-document.ts), so this route serves it converted.
      .get(OPENAPI_SPEC_PATH, openApiDocument, hidden)
      .get(
        OPENAPI_PAGE_PATH,
        () =>
          new Response(openApiPage(openApiDocument(), `StreamNest API ${VERSION}`, assets), {
            headers: { "content-type": "text/html; charset=utf-8", ...NO_FRAMING },
          }),
        hidden,
      )
      .get(
        `${OPENAPI_ASSETS_PATH}/:version/:name`,
        ({ params, request }) => {
          const asset = params.version === ASSET_VERSION && Object.hasOwn(ASSETS, params.name) ? ASSETS[params.name] : undefined;
          if (asset === undefined)
            throw new StreamNestError("NOT_FOUND", `no route GET ${new URL(request.url).pathname}`);
          return new Response(asset.body(), {
            headers: { "content-type": asset.contentType, "cache-control": "public, max-age=31536000, immutable", ...NO_FRAMING },
          });
        },
        hidden,
      )
  );
}
