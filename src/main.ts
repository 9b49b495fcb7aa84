#!/usr/bin/env bun
// Must stay the first import: it decides on colours before citty is loaded.
import "./commands/plain-when-piped.ts";
import { defineCommand, runMain } from "citty";
import { COMMIT, VERSION } from "./lib/version.ts";

const main = defineCommand({
  meta: {
    name: "streamnest",
    version: `${VERSION} (${COMMIT})`,
    description: "A Kafka-inspired, clustered message streaming system in one executable",
  },
  subCommands: {
    broker: () => import("./commands/broker.ts").then((m) => m.default),
    producer: () => import("./commands/producer.ts").then((m) => m.default),
    consumer: () => import("./commands/consumer.ts").then((m) => m.default),
    topics: () => import("./commands/topics.ts").then((m) => m.default),
  },
});

runMain(main);
