import { describeApi } from "../support/api-fixtures.ts";
import { kafkajsRequest } from "../support/kafkajs.ts";
import { bool, cat, i16, i32, i8 } from "../support/wire.ts";

describeApi({
  api: "AlterConfigs",
  request: {
    resources: [
      {
        resourceType: 2,
        resourceName: "orders",
        configs: [
          { name: "retention.ms", value: "60000" },
          { name: "retention.bytes", value: null },
        ],
      },
    ],
    validateOnly: true,
  },
  // AlterConfigs Request (Version: 0-2) => [resources] validate_only TAG_BUFFER(2)
  //   resources => resource_type resource_name [configs]; configs => name value (nullable)
  requestLayout: (_v, d) =>
    cat(
      d.arr([0], () =>
        cat(
          i8(2),
          d.str("orders"),
          d.arr(
            [
              ["retention.ms", "60000"],
              ["retention.bytes", null],
            ] as const,
            ([name, value]) => cat(d.str(name), d.nstr(value), d.tags()),
          ),
          d.tags(),
        ),
      ),
      bool(true),
      d.tags(),
    ),
  response: {
    throttleTimeMs: 0,
    responses: [
      { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: "orders" },
      { errorCode: 40, errorMessage: "unknown config x", resourceType: 4, resourceName: "1" },
    ],
  },
  // AlterConfigs Response (Version: 0-2) => throttle_time_ms [responses] TAG_BUFFER(2)
  //   responses => error_code error_message resource_type resource_name
  responseLayout: (_v, d) =>
    cat(
      i32(0),
      d.arr(
        [
          [0, null, 2, "orders"],
          [40, "unknown config x", 4, "1"],
        ] as const,
        ([code, message, type, name]) => cat(i16(code), d.nstr(message), i8(type), d.str(name), d.tags()),
      ),
      d.tags(),
    ),
  kafkajs: {
    0: () =>
      kafkajsRequest("alterConfigs", 0)({
        resources: [{ type: 2, name: "orders", configEntries: [{ name: "retention.ms", value: "60000" }, { name: "retention.bytes", value: null }] }],
        validateOnly: true,
      }),
    1: () =>
      kafkajsRequest("alterConfigs", 1)({
        resources: [{ type: 2, name: "orders", configEntries: [{ name: "retention.ms", value: "60000" }, { name: "retention.bytes", value: null }] }],
        validateOnly: true,
      }),
  },
});
