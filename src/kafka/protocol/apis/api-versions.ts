import { defineApi } from "../api.ts";
import { array, bool, field, int16, int32, int64, string, struct } from "../schema.ts";

/**
 * ApiVersions (key 18), v0–v3. v3 (KIP-511) is the newest: it adds the client's software
 * name and version and the feature tags of KIP-584. Its response always travels with
 * response header v0, so a client can read the error code whatever version it asked for.
 */
export const ApiVersions = defineApi({
  key: 18,
  name: "ApiVersions",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 3,
  request: struct(
    field("clientSoftwareName", string, "3+"),
    field("clientSoftwareVersion", string, "3+"),
  ),
  response: struct(
    field("errorCode", int16, "0+"),
    field(
      "apiKeys",
      array(struct(field("apiKey", int16, "0+"), field("minVersion", int16, "0+"), field("maxVersion", int16, "0+"))),
      "0+",
    ),
    field("throttleTimeMs", int32, "1+"),
    field(
      "supportedFeatures",
      array(struct(field("name", string, "3+"), field("minVersion", int16, "3+"), field("maxVersion", int16, "3+"))),
      "3+",
      { tag: 0 },
    ),
    field("finalizedFeaturesEpoch", int64, "3+", { tag: 1, default: -1n }),
    field(
      "finalizedFeatures",
      array(
        struct(field("name", string, "3+"), field("maxVersionLevel", int16, "3+"), field("minVersionLevel", int16, "3+")),
      ),
      "3+",
      { tag: 2 },
    ),
    field("zkMigrationReady", bool, "3+", { tag: 3, default: false }),
  ),
});

