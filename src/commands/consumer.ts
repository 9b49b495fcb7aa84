import { defineCommand } from "citty";
import { notBuiltYet } from "./not-built.ts";

export default defineCommand({
  meta: { name: "consumer", description: "consumer (not built yet)" },
  run() {
    notBuiltYet("consumer");
  },
});
