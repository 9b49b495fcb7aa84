import { Elysia, t } from "elysia";
import type { RouteContext } from "./context.ts";
import { bodyInteger, ErrorBody } from "./models.ts";
import { json } from "./respond.ts";
import { strictFields } from "./strict-fields.ts";

const Grown = t.Object({
  status: t.String({ description: '"created", or "valid" with validate_only' }),
  topic: t.String(),
  partitions: t.Integer({ description: "The partition count now" }),
  previous: t.Integer({ description: "The partition count before" }),
});

/**
 * `POST /topics/:topic/partitions {"count": N}`: grows a topic to N partitions, the
 * HTTP door to Kafka's CreatePartitions (KIP-195). N is the new total and must exceed the
 * current count. Records already written stay where they are; from now on a key may map
 * to another partition (murmur2(key) mod the new count), as in Kafka.
 */
export function topicPartitionRoutes({ broker, requests }: RouteContext) {
  return new Elysia().post(
    "/topics/:topic/partitions",
    async ({ params, body }) => {
      const validateOnly = body.validate_only === true;
      const { before, partitions } = await broker.createPartitions(params.topic, body.count, { validateOnly });
      requests.count("POST", "/topics/:topic/partitions", 200);
      return json({ status: validateOnly ? "valid" : "created", topic: params.topic, partitions, previous: before });
    },
    {
      transform: strictFields({ topicParam: "topic" }),
      params: t.Object({ topic: t.String() }),
      body: t.Object(
        {
          count: bodyInteger("count", "The new total number of partitions, above the current one"),
          validate_only: t.Optional(t.Boolean({ description: "true: check only, change nothing", error: "validate_only must be true or false" })),
        },
        { additionalProperties: true },
      ),
      response: { 200: Grown, 400: ErrorBody, 404: ErrorBody },
      detail: {
        tags: ["topics"],
        summary: "Add partitions to a topic",
        description:
          "`count` is the new total; equal or fewer is 400 INVALID_PARTITIONS (a topic never shrinks). New partitions are placed like the first ones. Keyed records written afterwards may go to another partition than before, as in Kafka.",
      },
    },
  );
}
