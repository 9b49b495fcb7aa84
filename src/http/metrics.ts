import { Elysia, t } from "elysia";
import type { RouteContext } from "./context.ts";

export function metricsRoutes({ broker, requests }: RouteContext) {
  return new Elysia().get(
    "/metrics",
    async () => {
      const text = await broker.metrics.text();
      requests.count("GET", "/metrics", 200);
      return new Response(text, { headers: { "content-type": broker.metrics.contentType } });
    },
    {
      response: { 200: t.String({ description: "Prometheus text format" }) },
      detail: { tags: ["operations"], summary: "Prometheus metrics" },
    },
  );
}
