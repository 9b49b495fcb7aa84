import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { cat, i16, i32, i64 } from "../support/wire.ts";

describeApi({
  api: "ApiVersions",
  request: { clientSoftwareName: "streamnest-test", clientSoftwareVersion: "1.0.0" },
  // ApiVersions Request (Version: 0-2) => (empty); (Version: 3) => client_software_name client_software_version TAG_BUFFER
  requestLayout: (v, d) => (v >= 3 ? cat(d.str("streamnest-test"), d.str("1.0.0"), d.tags()) : new Uint8Array(0)),
  response: {
    errorCode: 0,
    apiKeys: [
      { apiKey: 0, minVersion: 3, maxVersion: 9 },
      { apiKey: 18, minVersion: 0, maxVersion: 3 },
    ],
    throttleTimeMs: 5,
    supportedFeatures: [{ name: "metadata.version", minVersion: 1, maxVersion: 7 }],
    finalizedFeaturesEpoch: 42n,
  },
  // ApiVersions Response (Version: 0-3) => error_code [api_keys] throttle_time_ms(1+) TAG_BUFFER(3)
  //   api_keys => api_key min_version max_version TAG_BUFFER(3)
  //   tagged (3): 0 supported_features [name min_version max_version], 1 finalized_features_epoch int64;
  //   zk_migration_ready and finalized_features keep their defaults, so they are not sent (KIP-482).
  // The response header is v0 in every version (KIP-511).
  responseLayout: (v, d) =>
    cat(
      i16(0),
      d.arr(
        [
          [0, 3, 9],
          [18, 0, 3],
        ] as const,
        ([key, min, max]) => cat(i16(key), i16(min), i16(max), d.tags()),
      ),
      v >= 1 ? i32(5) : [],
      d.tags(
        [0, d.arr([0], () => cat(d.str("metadata.version"), i16(1), i16(7), d.tags()))],
        [1, i64(42n)],
      ),
    ),
  kafkajs: {
    0: () => kafkajsRequest("apiVersions", 0)({}),
    1: () => kafkajsRequest("apiVersions", 1)({}),
    2: () => kafkajsRequest("apiVersions", 2)({}),
  },
});
