import type { JsonObject } from "./openapi-document.ts";

/**
 * The /swagger page. Swagger UI's bundle is 1.7 MB of JavaScript; on a busy machine
 * parsing it takes seconds, and the stock page then waits for `onload` and fetches the
 * spec in a second round trip before it paints anything. So the page carries the spec
 * inline (a JSON data block: not executed, so a strict CSP still allows it), its first
 * paint is the API's title and route list in plain HTML (no script needed), the scripts
 * are deferred so they never hold that paint back, and Swagger UI starts on the inline
 * spec as soon as its bundle has run, replacing the plain list.
 */

export const SPEC_ELEMENT_ID = "openapi-spec";

/** Starts Swagger UI on the page's inline spec. A file, not an inline script, so a strict CSP can allow it. */
export const INIT_SCRIPT = `(function () {
  var inline = document.getElementById(${JSON.stringify(SPEC_ELEMENT_ID)});
  window.ui = SwaggerUIBundle({
    spec: JSON.parse(inline.textContent),
    dom_id: "#swagger-ui",
    deepLinking: true,
    // the default validator is an online service (validator.swagger.io): no call out
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
`;

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot end the <script> block it sits in (`</script>`, `<!--`). */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/** The routes as plain HTML: what the page shows before (or without) its JavaScript. */
function routeList(spec: JsonObject): string {
  const items: string[] = [];
  const paths = (spec.paths ?? {}) as Record<string, Record<string, { summary?: unknown } | undefined>>;
  for (const [path, operations] of Object.entries(paths))
    for (const method of METHODS) {
      const operation = operations[method];
      if (operation === undefined) continue;
      const summary = typeof operation.summary === "string" ? ` ${escapeHtml(operation.summary)}` : "";
      items.push(`      <li><code>${method.toUpperCase()} ${escapeHtml(path)}</code>${summary}</li>`);
    }
  return items.join("\n");
}

export interface PageAssets {
  css: string;
  favicon: string;
  bundle: string;
  initializer: string;
}

export function openApiPage(spec: JsonObject, title: string, assets: PageAssets): string {
  const info = (spec.info ?? {}) as { title?: unknown; version?: unknown };
  const heading = `${String(info.title ?? "API")} ${String(info.version ?? "")}`.trim();
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" href="${assets.css}" />
  <link rel="icon" type="image/png" sizes="32x32" href="${assets.favicon}" />
  <script id="${SPEC_ELEMENT_ID}" type="application/json">${scriptSafeJson(spec)}</script>
</head>
<body>
  <div id="swagger-ui">
    <div class="swagger-ui"><div class="wrapper">
      <h1 class="title">${escapeHtml(heading)}</h1>
      <p>Loading the interactive page; the routes:</p>
      <ul>
${routeList(spec)}
      </ul>
    </div></div>
  </div>
  <script src="${assets.bundle}" charset="utf-8" defer></script>
  <script src="${assets.initializer}" charset="utf-8" defer></script>
</body>
</html>
`;
}
