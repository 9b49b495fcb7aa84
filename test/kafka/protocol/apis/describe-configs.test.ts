import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { bool, cat, i16, i32, i8 } from "../support/wire.ts";

describeApi({
  api: "DescribeConfigs",
  request: {
    resources: [{ resourceType: 2, resourceName: "orders", configurationKeys: ["retention.ms", "segment.bytes"] }],
    includeSynonyms: true,
    includeDocumentation: true,
  },
  // DescribeConfigs Request (Version: 0-4) => [resources] include_synonyms(1+) include_documentation(3+) TAG_BUFFER(4)
  //   resources => resource_type resource_name [configuration_keys] (nullable)
  requestLayout: (v, d) =>
    cat(
      d.arr([0], () => cat(i8(2), d.str("orders"), d.narr(["retention.ms", "segment.bytes"], d.str), d.tags())),
      v >= 1 ? bool(true) : [],
      v >= 3 ? bool(true) : [],
      d.tags(),
    ),
  response: {
    throttleTimeMs: 0,
    results: [
      {
        errorCode: 0,
        errorMessage: null,
        resourceType: 2,
        resourceName: "orders",
        configs: [
          {
            name: "retention.ms",
            value: "604800000",
            readOnly: false,
            isDefault: true,
            configSource: 5,
            isSensitive: false,
            synonyms: [{ name: "log.retention.ms", value: "604800000", source: 5 }],
            configType: 5,
            documentation: "How long to keep records.",
          },
        ],
      },
    ],
  },
  // DescribeConfigs Response (Version: 0-4) => throttle_time_ms [results] TAG_BUFFER(4)
  //   results => error_code error_message resource_type resource_name [configs]
  //   configs => name value read_only is_default(0) config_source(1+) is_sensitive [synonyms](1+)
  //     config_type(3+) documentation(3+); synonyms => name value source
  responseLayout: (v, d) =>
    cat(
      i32(0),
      d.arr([0], () =>
        cat(
          i16(0),
          d.nstr(null),
          i8(2),
          d.str("orders"),
          d.arr([0], () =>
            cat(
              d.str("retention.ms"),
              d.nstr("604800000"),
              bool(false),
              v === 0 ? bool(true) : [],
              v >= 1 ? i8(5) : [],
              bool(false),
              v >= 1 ? d.arr([0], () => cat(d.str("log.retention.ms"), d.nstr("604800000"), i8(5), d.tags())) : [],
              v >= 3 ? cat(i8(5), d.nstr("How long to keep records.")) : [],
              d.tags(),
            ),
          ),
          d.tags(),
        ),
      ),
      d.tags(),
    ),
  kafkajs: {
    0: () =>
      kafkajsRequest("describeConfigs", 0)({ resources: [{ type: 2, name: "orders", configNames: ["retention.ms", "segment.bytes"] }] }),
    1: () =>
      kafkajsRequest("describeConfigs", 1)({
        resources: [{ type: 2, name: "orders", configNames: ["retention.ms", "segment.bytes"] }],
        includeSynonyms: true,
      }),
    2: () =>
      kafkajsRequest("describeConfigs", 2)({
        resources: [{ type: 2, name: "orders", configNames: ["retention.ms", "segment.bytes"] }],
        includeSynonyms: true,
      }),
  },
});
