import { render } from "preact";
import { App } from "./app.tsx";
import { interceptLinks } from "./navigation.ts";

const root = document.getElementById("app");
if (root !== null) {
  interceptLinks(document.body);
  render(<App />, root);
}
