import { defineCommand } from "citty";
import { notBuiltYet } from "./not-built.ts";

export default defineCommand({
  meta: { name: "broker", description: "broker (not built yet)" },
  run() {
    notBuiltYet("broker");
  },
});
