import { Elysia, t } from "elysia";
import type { RouteContext } from "./context.ts";
import { ErrorBody, TopicName } from "./models.ts";
import { json } from "./respond.ts";
import { strictFields } from "./strict-fields.ts";

/** Per-topic JSON Schemas: the seed's /register-schema and the version list. */
export function schemaRoutes({ broker, requests }: RouteContext) {
  return new Elysia()
    .post(
      "/register-schema",
      async ({ body }) => {
        const version = await broker.registerSchema(body.topic, body.schema);
        requests.count("POST", "/register-schema", 200);
        return json({ status: "schema registered", version });
      },
      {
        body: t.Object(
          {
            topic: TopicName,
            schema: t.Unknown({ description: "A JSON Schema object (draft-07 by default; 2019-09 and 2020-12 by $schema)" }),
          },
          { additionalProperties: true },
        ),
        response: { 200: t.Object({ status: t.String(), version: t.Integer() }), 400: ErrorBody, 404: ErrorBody },
        detail: {
          tags: ["schemas"],
          summary: "Register a JSON Schema for a topic (adds a version)",
          description:
            "From then on, every message produced to the topic must be JSON that passes the newest version. A schema that does not compile " +
            "(an unknown `format` included), takes over 64 KiB, is nested over 64 levels or expands past 100,000 checks per message through its `$ref`s is 400 INVALID_SCHEMA.",
        },
      },
    )
    .get(
      "/schemas/:topic",
      ({ params }) => {
        const versions = broker.schemaVersions(params.topic);
        requests.count("GET", "/schemas/:topic", 200);
        return json({
          topic: params.topic,
          versions: versions.map((v) => ({ version: v.version, schema: v.schema, registered_at: v.registeredAt })),
        });
      },
      {
        transform: strictFields({ topicParam: "topic" }),
        params: t.Object({ topic: t.String() }),
        response: {
          200: t.Object({
            topic: t.String(),
            versions: t.Array(t.Object({ version: t.Integer(), schema: t.Unknown(), registered_at: t.Integer() }), {
              description: "Oldest first; the last one is enforced",
            }),
          }),
          400: ErrorBody,
          404: ErrorBody,
        },
        detail: { tags: ["schemas"], summary: "Every schema version of a topic, newest last" },
      },
    );
}
