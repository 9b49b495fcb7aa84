#!/usr/bin/env bun
// Must stay the first import: a broker started without the variables it needs from its
// very start runs itself again with them (config/runtime-env.ts), before anything else runs.
import "./commands/broker-runtime-env.ts";
// Next: it decides on colours before citty is loaded.
import "./commands/plain-when-piped.ts";
import { defineCommand, runMain } from "citty";
import { commandLineProblem, HELP_FLAGS, helpTarget, usageText } from "./commands/cli/command-line.ts";
import { exit, log, out } from "./commands/cli/output.ts";
import { COMMIT, VERSION } from "./lib/version.ts";

const VERSION_TEXT = `${VERSION} (${COMMIT})`;

const main = defineCommand({
  meta: {
    name: "streamnest",
    version: VERSION_TEXT,
    description: "A Kafka-inspired, clustered message streaming system in one executable",
  },
  subCommands: {
    broker: () => import("./commands/broker.ts").then((m) => m.default),
    producer: () => import("./commands/producer.ts").then((m) => m.default),
    consumer: () => import("./commands/consumer.ts").then((m) => m.default),
    topics: () => import("./commands/topics.ts").then((m) => m.default),
    health: () => import("./commands/health.ts").then((m) => m.default),
    users: () => import("./commands/users.ts").then((m) => m.default),
    acls: () => import("./commands/acls.ts").then((m) => m.default),
  },
});

const rawArgs = process.argv.slice(2);
if (rawArgs.some((arg) => HELP_FLAGS.includes(arg))) {
  await out(`${await usageText(await helpTarget(main, rawArgs), VERSION_TEXT)}\n\n`);
  await exit(0);
}
// A mistake on the command line is one line naming it, exit 1, before anything runs.
const problem = await commandLineProblem(main, rawArgs);
if (problem) {
  if (problem.usage) await out(`${await usageText(problem.usage, VERSION_TEXT)}\n\n`);
  log.error(problem.message);
  await exit(1);
}
await runMain(main, { rawArgs });
