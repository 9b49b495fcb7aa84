import { Elysia } from "elysia";
import type { Broker } from "../broker/broker.ts";

/**
 * Before a route acts on a topic this broker does not know, it catches up with the
 * metadata quorum (Broker.catchUpMetadata, a read barrier): a topic created through
 * another broker is committed there before that broker answers, but this one applies
 * it a moment later, and a client that creates through one broker and produces through
 * the next must not be told the topic does not exist. A topic that still is not known
 * afterwards is a 404 as before. Only requests naming an unknown topic wait, and
 * create-topic (whose topic is new by nature) never does.
 */
export function metadataBarrier(broker: Broker) {
  // Not an async function: the usual request (a known topic) goes on without a promise.
  return new Elysia({ name: "streamnest-metadata-barrier" }).onBeforeHandle({ as: "global" }, ({ params, query, body, path }) => {
    if (path === "/create-topic") return undefined;
    const topic = topicNamed(params, query, body);
    if (topic === undefined || broker.hasTopic(topic)) return undefined;
    return broker.catchUpMetadata().then(() => undefined);
  });
}

function topicNamed(params: unknown, query: unknown, body: unknown): string | undefined {
  for (const source of [params, query, body]) {
    if (source === null || typeof source !== "object") continue;
    const topic = (source as { topic?: unknown }).topic;
    if (typeof topic === "string" && topic !== "") return topic;
  }
  return undefined;
}
