import { defineCommand } from "citty";
import { notBuiltYet } from "./not-built.ts";

export default defineCommand({
  meta: { name: "producer", description: "producer (not built yet)" },
  run() {
    notBuiltYet("producer");
  },
});
