import { defineCommand } from "citty";
import { StreamNestClient } from "../client/index.ts";
import { CLIENT_LIMITS } from "../config/client.ts";
import { HTTP } from "../config/http.ts";
import { readSetting } from "../config/read.ts";
import { clientTls, tlsArgs } from "./cli/args.ts";
import { guarded } from "./cli/fail.ts";
import { exit, out } from "./cli/output.ts";

/**
 * `streamnest health`: asks one broker's /health and exits 0 when it answers "ok", 1
 * otherwise. It is the container image's HEALTHCHECK, so the image needs no curl: by
 * default it asks the broker this environment configures (127.0.0.1 and $STREAMNEST_PORT,
 * else 8080), which inside a container is the broker running beside it.
 */
export default defineCommand({
  meta: { name: "health", description: "Check that a broker answers /health: exit 0 if it does, 1 if not (for container health checks)" },
  args: {
    url: {
      type: "string",
      valueHint: "host:port",
      description: "the broker to ask (default 127.0.0.1 and the port of $STREAMNEST_PORT, else 8080)",
    },
    ...tlsArgs,
  },
  async run({ args }) {
    await guarded(async () => {
      const address = args.url ?? `127.0.0.1:${readSetting(HTTP.port, {})}`;
      // The broker beside it (no --url) with TLS ($STREAMNEST_TLS_CERT, as the broker has it):
      // asked over https with its own certificate, for a broker that requires one. Its
      // certificate names the host clients use, not 127.0.0.1, and the check trusts
      // nothing from the answer but that it came: the name is not verified then.
      const tls = clientTls(args);
      const client = new StreamNestClient(address, {
        timeoutMs: CLIENT_LIMITS.healthTimeoutMs.value,
        ...(tls !== undefined ? { tls: args.url === undefined ? { ...tls, rejectUnauthorized: false } : tls } : {}),
      });
      const health = await client.health();
      await out(`ok: broker ${health.id} (${health.address}), metadata version ${health.metadata_version}, ${health.topics} topic${health.topics === 1 ? "" : "s"}\n`);
      await exit(0);
    });
  },
});
