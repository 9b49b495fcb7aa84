import { defineCommand } from "citty";
import { notBuiltYet } from "./not-built.ts";

export default defineCommand({
  meta: { name: "topics", description: "topics list|create|describe|delete (not built yet)" },
  run() {
    notBuiltYet("topics");
  },
});
