import { describe, expect, test } from "bun:test";
import { openApiPage } from "../../src/http/openapi-page.ts";

const assets = { css: "/a.css", favicon: "/f.png", bundle: "/b.js", initializer: "/i.js" };

describe("openApiPage", () => {
  test("spec text that would end a <script> or open a tag cannot: it stays data and reads back equal", () => {
    const spec = {
      openapi: "3.0.3",
      info: { title: "T</script><script>alert(1)</script>", version: "1" },
      paths: { "/x": { get: { summary: "<!-- <b>bold</b> & 'quoted'" } } },
    };
    const html = openApiPage(spec, "Title <i>", assets);
    const inline = /<script id="openapi-spec" type="application\/json">([^<]*)<\/script>/.exec(html);
    expect(JSON.parse(inline?.[1] ?? "")).toEqual(spec);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(html).toContain("<title>Title &#60;i&#62;</title>");
    expect(html).toContain("<h1 class=\"title\">T&#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62; 1</h1>");
    expect(html).toContain("<li><code>GET /x</code> &#60;!-- &#60;b&#62;bold&#60;/b&#62; &#38; &#39;quoted&#39;</li>");
  });

  test("every operation of every path is listed in the spec's order, with its summary when it has one", () => {
    const html = openApiPage(
      { info: { title: "API", version: "2" }, paths: { "/a": { post: { summary: "make" }, get: {} }, "/b": { delete: { summary: "drop" } } } },
      "t",
      assets,
    );
    expect([...html.matchAll(/<li>(.*)<\/li>/g)].map((m) => m[1])).toEqual([
      "<code>GET /a</code>",
      "<code>POST /a</code> make",
      "<code>DELETE /b</code> drop",
    ]);
  });
});
