import { Elysia, t } from "elysia";
import { VERSION } from "../lib/version.ts";
import type { RouteContext } from "./context.ts";
import { json } from "./respond.ts";

export function healthRoutes({ broker, requests }: RouteContext) {
  return new Elysia().get(
    "/health",
    () => {
      const h = broker.health();
      requests.count("GET", "/health", 200);
      return json({ status: h.status, id: h.id, address: h.address, version: VERSION, metadata_version: h.metadataVersion, topics: h.topics });
    },
    {
      response: {
        200: t.Object({
          status: t.Literal("ok"),
          id: t.Integer(),
          address: t.String(),
          version: t.String(),
          metadata_version: t.Integer(),
          topics: t.Integer(),
        }),
      },
      detail: { tags: ["operations"], summary: "Liveness: 200 while the broker serves requests" },
    },
  );
}
